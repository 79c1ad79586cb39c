import type { IncomingMessage, ServerResponse } from 'node:http'

/** Open event streams allowed at once; beyond it a new one gets 503 (each holds a socket). */
const MAX_STREAMS = 64

/**
 * Server-Sent Events to the open status pages: `event: <name>` with one JSON line of data. A page that
 * loses its stream reconnects after `retry` ms (the browser does it) and re-reads what it shows.
 */
export class SseHub {
  private readonly streams = new Set<ServerResponse>()

  get size(): number {
    return this.streams.size
  }

  open(req: IncomingMessage, res: ServerResponse, first: Record<string, unknown>): void {
    if (this.streams.size >= MAX_STREAMS) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '10' })
      res.end('{"error":"too many open event streams"}\n')
      return
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // A reverse proxy (nginx) must not buffer the stream.
      'x-accel-buffering': 'no',
    })
    res.write('retry: 1000\n\n')
    for (const [event, data] of Object.entries(first)) res.write(frame(event, data))
    this.streams.add(res)
    req.socket.setNoDelay(true)
    res.on('close', () => this.streams.delete(res))
  }

  send(event: string, data: unknown): void {
    if (this.streams.size === 0) return
    const text = frame(event, data)
    for (const res of this.streams) res.write(text)
  }

  /** A comment line keeps idle proxies from closing the stream. */
  keepAlive(): void {
    for (const res of this.streams) res.write(': keep-alive\n\n')
  }

  closeAll(): void {
    for (const res of this.streams) res.end()
    this.streams.clear()
  }
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
}
