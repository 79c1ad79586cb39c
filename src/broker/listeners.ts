import { readFileSync } from 'node:fs'
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer as createNetServer, type Server, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { createServer as createTlsServer, type TLSSocket } from 'node:tls'
import { createWebSocketStream, WebSocketServer } from 'ws'
import type { ListenerConfig } from './config-schema.js'
import { type ConnectionInfo, SOCKET_BUFFER_BYTES } from './guarded-connection.js'
import type { Refusals } from './refusals.js'

export interface BoundListener {
  type: ListenerConfig['type']
  host: string
  port: number
}

export function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.')
}

/**
 * The broker's network side: TCP, TLS (mqtts) and WebSocket listeners. Every accepted transport is
 * counted against `maxConnections` and handed to `accept` with who is on the other end.
 */
export class Listeners {
  private readonly servers: (Server | HttpServer)[] = []
  private readonly wsServers: WebSocketServer[] = []
  private readonly transports = new Set<Duplex>()
  private bound: BoundListener[] = []

  constructor(
    private readonly configs: readonly ListenerConfig[],
    private readonly options: { maxConnections: number; maxPacketBytes: number; connectTimeoutMs: number },
    private readonly refusals: Refusals,
    private readonly accept: (transport: Duplex, info: ConnectionInfo) => void,
  ) {}

  get listeners(): readonly BoundListener[] {
    return this.bound
  }

  get connections(): number {
    return this.transports.size
  }

  async start(): Promise<void> {
    for (const config of this.configs) {
      const server = this.createServer(config)
      // Backstop for sockets not yet handed to admit() (TLS handshakes, WebSocket upgrades).
      server.maxConnections = this.options.maxConnections
      server.on('drop', (data?: { remoteAddress?: string }) =>
        this.refusals.refuse('max_connections', {
          address: data?.remoteAddress ?? '',
          listener: config.type,
        }),
      )
      this.servers.push(server)
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(config.port, config.host, () => {
          server.off('error', reject)
          resolve()
        })
      })
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : config.port
      this.bound.push({ type: config.type, host: config.host, port })
    }
  }

  async stop(): Promise<void> {
    for (const ws of this.wsServers) ws.close()
    const closed = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))
    for (const t of this.transports) t.destroy()
    await Promise.all(closed)
    this.servers.length = 0
    this.wsServers.length = 0
    this.bound = []
  }

  private createServer(config: ListenerConfig): Server | HttpServer {
    if (config.type === 'tls') return this.createTls(config)
    if (config.type === 'ws') return this.createWs(config)
    return createNetServer({ noDelay: true, highWaterMark: SOCKET_BUFFER_BYTES }, (socket) =>
      this.admit(socket, this.infoOf(socket, 'tcp')),
    )
  }

  private createTls(config: ListenerConfig): Server {
    if (!config.cert || !config.key) throw new Error(`tls listener on port ${config.port} needs cert and key`)
    const server = createTlsServer(
      {
        cert: readFileSync(config.cert),
        key: readFileSync(config.key),
        ...(config.ca ? { ca: readFileSync(config.ca) } : {}),
        requestCert: config.clientCert !== 'none',
        // 'optional' lets clients without a certificate in (they log in with a password) and
        // rejects below one that presents an invalid certificate.
        rejectUnauthorized: config.clientCert === 'required',
        // A handshake that never finishes holds a socket like a CONNECT that never comes.
        handshakeTimeout: this.options.connectTimeoutMs,
        noDelay: true,
      },
      (socket: TLSSocket) => {
        const info = this.infoOf(socket, 'tls')
        if (config.clientCert !== 'none') {
          const cert = socket.getPeerCertificate()
          const presented = cert && Object.keys(cert).length > 0
          if (presented && !socket.authorized) {
            this.refusals.refuse('cert_rejected', {
              address: info.address,
              error: String(socket.authorizationError),
            })
            socket.destroy()
            return
          }
          const cn = presented ? cert.subject?.CN : undefined
          if (typeof cn === 'string' && cn.length > 0) info.certCommonName = cn
        }
        this.admit(socket, info)
      },
    )
    server.on('tlsClientError', (err, socket) => {
      this.refusals.refuse('cert_rejected', { address: socket.remoteAddress ?? '', error: err.message })
    })
    return server
  }

  private createWs(config: ListenerConfig): HttpServer {
    const http = createHttpServer(
      { headersTimeout: this.options.connectTimeoutMs, requestTimeout: this.options.connectTimeoutMs },
      (_req, res) => {
        res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only\n')
      },
    )
    const wss = new WebSocketServer({
      server: http,
      path: config.path,
      // One WebSocket message carries at most one MQTT packet from well-behaved clients.
      maxPayload: this.options.maxPacketBytes + 8,
      handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
    })
    this.wsServers.push(wss)
    wss.on('connection', (ws, req) => {
      const address = req.socket.remoteAddress ?? ''
      req.socket.setNoDelay(true)
      const stream = createWebSocketStream(ws)
      stream.on('error', (err: Error & { code?: string }) => {
        // ws enforces maxPayload itself and closes with 1009 before the guard sees the bytes.
        // Counted only if the guard has not already refused this client from the packet's header.
        if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' && !stream.destroyed)
          this.refusals.refuse('packet_too_large', { address, listener: 'ws', detail: err.message })
        stream.destroy()
      })
      this.admit(stream, { address, listener: 'ws', loopback: isLoopback(address) })
    })
    return http
  }

  private infoOf(socket: Socket, listener: ConnectionInfo['listener']): ConnectionInfo {
    const address = socket.remoteAddress ?? ''
    return { address, listener, loopback: isLoopback(address) }
  }

  private admit(transport: Duplex, info: ConnectionInfo): void {
    if (this.transports.size >= this.options.maxConnections) {
      this.refusals.refuse('max_connections', { address: info.address, listener: info.listener })
      transport.destroy()
      return
    }
    // MQTT packets are small and latency matters more than segment count: no Nagle delay on replies
    // and deliveries (Mosquitto sets TCP_NODELAY too).
    if (transport instanceof Socket) transport.setNoDelay(true)
    this.transports.add(transport)
    transport.once('close', () => this.transports.delete(transport))
    this.accept(transport, info)
  }
}
