import { promisify } from 'node:util'
import { gzip as gzipCb } from 'node:zlib'

const gzip = promisify(gzipCb)

export interface InfluxTarget {
  url: string
  database: string
  retentionPolicy?: string | undefined
  username?: string | undefined
  password?: string | undefined
  timeoutMs: number
}

export interface WriteResult {
  status: number
  /** InfluxDB's error text for non-2xx answers. */
  error?: string
  retryAfterMs?: number
}

/** The InfluxDB 1.x HTTP API: /write with gzip, /query for admin and tests. One job: speak HTTP. */
export class InfluxHttpClient {
  constructor(private readonly target: InfluxTarget) {}

  private authParams(params: URLSearchParams): void {
    if (this.target.username) params.set('u', this.target.username)
    if (this.target.password) params.set('p', this.target.password)
  }

  /** Writes newline-joined lines with ms precision. Network errors reject; HTTP errors resolve with the status. */
  async write(body: string): Promise<WriteResult> {
    const params = new URLSearchParams({ db: this.target.database, precision: 'ms' })
    if (this.target.retentionPolicy) params.set('rp', this.target.retentionPolicy)
    this.authParams(params)
    const compressed = await gzip(body)
    const res = await fetch(`${this.target.url}/write?${params}`, {
      method: 'POST',
      headers: { 'content-encoding': 'gzip', 'content-type': 'text/plain; charset=utf-8' },
      body: compressed,
      signal: AbortSignal.timeout(this.target.timeoutMs),
    })
    if (res.status >= 200 && res.status < 300) {
      await res.body?.cancel()
      return { status: res.status }
    }
    const text = await res.text()
    let error = text
    try {
      error = (JSON.parse(text) as { error?: string }).error ?? text
    } catch {
      // plain-text error body
    }
    const retryAfter = res.headers.get('retry-after')
    const result: WriteResult = { status: res.status, error }
    if (retryAfter) {
      const seconds = Number(retryAfter)
      result.retryAfterMs = Number.isFinite(seconds)
        ? seconds * 1000
        : Math.max(0, Date.parse(retryAfter) - Date.now())
    }
    return result
  }

  /** Runs an InfluxQL statement; returns the parsed JSON. */
  async query(q: string, method: 'GET' | 'POST' = 'GET'): Promise<InfluxQueryResult> {
    const params = new URLSearchParams({ q, db: this.target.database, epoch: 'ms' })
    this.authParams(params)
    const res = await fetch(`${this.target.url}/query?${params}`, {
      method,
      signal: AbortSignal.timeout(this.target.timeoutMs),
    })
    const json = (await res.json()) as InfluxQueryResult
    if (res.status >= 300) throw new Error(`InfluxDB query failed (${res.status}): ${JSON.stringify(json)}`)
    return json
  }

  createDatabase(): Promise<InfluxQueryResult> {
    return this.query(`CREATE DATABASE "${this.target.database.replace(/"/g, '\\"')}"`, 'POST')
  }

  async ping(): Promise<boolean> {
    try {
      const res = await fetch(`${this.target.url}/ping`, { signal: AbortSignal.timeout(2000) })
      await res.body?.cancel()
      return res.status === 204 || res.status === 200
    } catch {
      return false
    }
  }
}

export interface InfluxSeries {
  name: string
  columns: string[]
  values?: unknown[][]
  tags?: Record<string, string>
}

export interface InfluxQueryResult {
  results: { statement_id: number; series?: InfluxSeries[]; error?: string }[]
}
