import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { gunzipSync } from 'node:zlib'

export interface StubRequest {
  at: number
  method: string
  path: string
  query: URLSearchParams
  headers: IncomingMessage['headers']
  /** The line-protocol body, gunzipped when it was gzip. */
  body: string
}

export interface StubReply {
  status: number
  headers?: Record<string, string>
  body?: string
}

/** What to answer a write: a reply, or 'proxy' to pass it on to the real influxd behind the stub. */
export type StubHandler = (req: StubRequest, index: number) => StubReply | 'proxy'

/**
 * An HTTP stub in front of InfluxDB (named as a stub: it stands in only for answers a real influxd will
 * not give on demand, like 429/503 with Retry-After, 413 or 401). Records every write; /ping answers 204;
 * everything else, and writes the handler passes on, goes to the real influxd when one is given.
 */
export async function startInfluxStub(handler: StubHandler, upstream?: string) {
  const writes: StubRequest[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      void answer(req, res, Buffer.concat(chunks))
    })
  })
  async function answer(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stub')
    const isWrite = url.pathname === '/write' || url.pathname === '/api/v2/write'
    if (url.pathname === '/ping' && !upstream) {
      res.writeHead(204).end()
      return
    }
    let reply: StubReply | 'proxy' = 'proxy'
    if (isWrite) {
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString() : raw.toString()
      const r: StubRequest = {
        at: Date.now(),
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
      }
      writes.push(r)
      reply = handler(r, writes.length - 1)
    } else if (!upstream) {
      reply = { status: 200, body: '{"results":[{"statement_id":0}]}' }
    }
    if (reply !== 'proxy') {
      res
        .writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers })
        .end(reply.body ?? '')
      return
    }
    if (!upstream) {
      res.writeHead(204).end()
      return
    }
    try {
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(req.headers))
        if (typeof v === 'string' && k !== 'host') headers[k] = v
      const up = await fetch(`${upstream}${req.url}`, {
        method: req.method ?? 'GET',
        headers,
        body: req.method === 'POST' ? raw : undefined,
      })
      const text = await up.text()
      res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'text/plain' }).end(text)
    } catch (err) {
      res.writeHead(502).end(String(err))
    }
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    writes,
    /** Lines of every write answered 2xx by the stub itself or passed on. */
    lines(): string[] {
      return writes.flatMap((w) => w.body.split('\n'))
    },
    async stop(): Promise<void> {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
