import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'

export interface HttpReply {
  status: number
  body: string
  contentType?: string
}

export type RouteHandler = (req: IncomingMessage) => HttpReply | Promise<HttpReply>

/**
 * Handles a request no GET route matched (other methods, path prefixes, streams). Returns true when it
 * answered (or is answering: a stream); false passes the request on (404 when nobody takes it).
 */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>

/**
 * The operator HTTP listener: health, readiness, metrics, the status page. Features register GET routes
 * (and request handlers, tried in order for everything else) before start().
 */
export class HttpServer {
  private readonly routes = new Map<string, RouteHandler>()
  private readonly handlers: RequestHandler[] = []
  private server: Server | null = null
  private boundPort = 0

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  route(path: string, handler: RouteHandler): void {
    this.routes.set(path, handler)
  }

  mount(handler: RequestHandler): void {
    this.handlers.push(handler)
  }

  get address(): { host: string; port: number } {
    return { host: this.host, port: this.boundPort }
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        res.statusCode = 500
        res.end(String(err))
      })
    })
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.port, this.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    const a = server.address()
    this.boundPort = typeof a === 'object' && a ? a.port : this.port
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] as string
    const handler = req.method === 'GET' || req.method === 'HEAD' ? this.routes.get(path) : undefined
    if (!handler) for (const h of this.handlers) if (await h(req, res)) return
    const reply = handler ? await handler(req) : { status: 404, body: 'not found\n' }
    res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'application/json' })
    res.end(reply.body)
  }

  async stop(): Promise<void> {
    const server = this.server
    if (!server) return
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    this.server = null
  }
}
