import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { promisify } from 'node:util'
import { constants, gzip as gzipCb } from 'node:zlib'

const gzip = promisify(gzipCb)

export interface InfluxTarget {
  url: string
  /** v1: `/write?db=&rp=&u=&p=`; v2: `/api/v2/write?org=&bucket=` with `Authorization: Token`. */
  api?: 'v1' | 'v2'
  database: string
  retentionPolicy?: string | undefined
  username?: string | undefined
  password?: string | undefined
  org?: string | undefined
  bucket?: string | undefined
  token?: string | undefined
  timeoutMs: number
  /** zlib level for write bodies; 1 costs a third of the default's CPU for most of its gain on line protocol. */
  gzipLevel?: number
}

export interface WriteResult {
  status: number
  /** InfluxDB's error text for non-2xx answers. */
  error?: string
  retryAfterMs?: number
}

/**
 * The InfluxDB HTTP API: writes through v1 `/write` or v2 `/api/v2/write` (same line protocol, ms
 * precision, gzip), /query (v1 and v2's compatibility endpoint) for admin and tests. One job: speak HTTP.
 */
export class InfluxHttpClient {
  /** Writes reuse their connections (an idle one does not keep the process alive). */
  private readonly agent: HttpAgent
  private readonly request: typeof httpRequest

  constructor(private readonly target: InfluxTarget) {
    // Not `new URL()`: a malformed url fails each write (retried, reported) as it did with fetch, not the start.
    const https = /^https:/i.test(target.url)
    this.agent = new (https ? HttpsAgent : HttpAgent)({ keepAlive: true })
    this.request = https ? httpsRequest : httpRequest
  }

  get api(): 'v1' | 'v2' {
    return this.target.api ?? 'v1'
  }

  private authParams(params: URLSearchParams): void {
    if (this.target.username) params.set('u', this.target.username)
    if (this.target.password) params.set('p', this.target.password)
  }

  private authHeaders(headers: Record<string, string>): Record<string, string> {
    if (this.target.token) headers['authorization'] = `Token ${this.target.token}`
    return headers
  }

  /** The write endpoint with its query string, for the configured API version. */
  writeUrl(): string {
    if (this.api === 'v2') {
      const params = new URLSearchParams({
        org: this.target.org ?? '',
        bucket: this.target.bucket ?? this.target.database,
        precision: 'ms',
      })
      return `${this.target.url}/api/v2/write?${params}`
    }
    const params = new URLSearchParams({ db: this.target.database, precision: 'ms' })
    if (this.target.retentionPolicy) params.set('rp', this.target.retentionPolicy)
    this.authParams(params)
    return `${this.target.url}/write?${params}`
  }

  /**
   * Writes newline-joined lines with ms precision. Network errors (and `signal` aborts) reject;
   * HTTP errors resolve with the status and InfluxDB's message.
   *
   * Through node:http with a keep-alive agent, not fetch: undici's fetch (Request, Response, WHATWG
   * streams, abort signals) cost ~2 ms of the event loop per write, split over several turns, at every
   * batch; a plain request a fraction of that. Queries keep fetch: they are rare.
   */
  async write(body: string | Buffer, signal?: AbortSignal): Promise<WriteResult> {
    const compressed = await gzip(body, { level: this.target.gzipLevel ?? constants.Z_DEFAULT_COMPRESSION })
    const timeout = AbortSignal.timeout(this.target.timeoutMs)
    const url = this.writeUrl()
    const answer = await new Promise<{ status: number; text: string; retryAfter: string | undefined }>(
      (resolve, reject) => {
        const req = this.request(
          url,
          {
            method: 'POST',
            agent: this.agent,
            headers: this.authHeaders({
              'content-encoding': 'gzip',
              'content-type': 'text/plain; charset=utf-8',
              'content-length': String(compressed.length),
            }),
            signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
          },
          (res) => {
            const status = res.statusCode ?? 0
            const retryAfter = res.headers['retry-after']
            if (status >= 200 && status < 300) {
              res.resume() // nothing to read; frees the socket for the next write
              res.once('end', () => resolve({ status, text: '', retryAfter }))
            } else {
              const chunks: Buffer[] = []
              res.on('data', (c: Buffer) => chunks.push(c))
              res.once('end', () => resolve({ status, text: Buffer.concat(chunks).toString(), retryAfter }))
            }
            res.once('error', reject)
          },
        )
        req.once('error', reject)
        req.end(compressed)
      },
    )
    if (answer.status >= 200 && answer.status < 300) return { status: answer.status }
    let error = answer.text
    try {
      // v1 answers {"error": ...}, v2 {"code": ..., "message": ...}.
      const json = JSON.parse(answer.text) as { error?: string; message?: string }
      error = json.error ?? json.message ?? answer.text
    } catch {
      // plain-text error body
    }
    const result: WriteResult = { status: answer.status, error }
    const retryAfterMs = answer.retryAfter ? parseRetryAfter(answer.retryAfter) : null
    if (retryAfterMs !== null) result.retryAfterMs = retryAfterMs
    return result
  }

  /** Runs an InfluxQL statement; returns the parsed JSON. */
  async query(q: string, method: 'GET' | 'POST' = 'GET'): Promise<InfluxQueryResult> {
    const params = new URLSearchParams({ q, db: this.target.database, epoch: 'ms' })
    this.authParams(params)
    const res = await fetch(`${this.target.url}/query?${params}`, {
      method,
      headers: this.authHeaders({}),
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

/** Retry-After is delta-seconds or an HTTP date (RFC 9110 §10.2.3); anything else is ignored. */
export function parseRetryAfter(value: string, now = Date.now()): number | null {
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  // A date has a day or month name; Date.parse alone would take "-5" as a year.
  const at = /[a-z]/i.test(trimmed) ? Date.parse(trimmed) : Number.NaN
  return Number.isFinite(at) ? Math.max(0, at - now) : null
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
