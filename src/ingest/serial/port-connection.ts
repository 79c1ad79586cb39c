import type { SerialPort } from 'serialport'

/**
 * serialport (with its native bindings) is loaded on the first port opened, not at start: a gateway
 * without serial ports does not carry it (~4 MB of RSS on import).
 */
let serialport: Promise<typeof import('serialport')> | null = null
const loadSerialPort = () => {
  serialport ??= import('serialport')
  return serialport
}

import { toMs } from '../../core/duration.js'
import type { Logger } from '../../observability/logger.js'
import type { SerialPortConfig } from './config-schema.js'
import { type ListPorts, locatePort } from './port-locator.js'
import type { SerialPortStats } from './port-stats.js'

/** A command write that has not drained by then is reported failed rather than left hanging. */
const WRITE_TIMEOUT_MS = 5000

export interface ConnectionEvents {
  data(chunk: Buffer): void
  /** The port is open on `path` (first time or again). */
  opened(path: string): void
  /** The open port went away; bytes of a partial frame are gone with it. */
  lost(): void
}

export interface ConnectionDeps {
  logger: Logger
  stats: SerialPortStats
  listPorts?: ListPorts
  now?: () => number
}

/**
 * Keeps one serial port open: opens it, and when it is missing or goes away (unplugged, pty closed,
 * I/O error) retries with doubling delays up to `reconnect.max`. The gap is logged and counted.
 */
export class SerialConnection {
  private port: SerialPort | null = null
  private timer: NodeJS.Timeout | null = null
  private attempt = 0
  private stopped = false
  /** When the port was lost (or first failed); null while open. */
  private downSince: number | null = null
  private everOpened = false
  private readonly now: () => number

  constructor(
    private readonly config: SerialPortConfig,
    private readonly events: ConnectionEvents,
    private readonly deps: ConnectionDeps,
  ) {
    this.now = deps.now ?? Date.now
  }

  get isOpen(): boolean {
    return this.port?.isOpen === true
  }

  /** Tries once now; when that fails, retries run in the background. Never rejects. */
  async start(): Promise<void> {
    this.stopped = false
    await this.tryOpen()
  }

  /**
   * Writes and waits until the bytes left the process (tcdrain). Rejects when the port is not open, or
   * when the write does not finish in time (hardware flow control held off by the device).
   */
  write(bytes: Buffer, timeoutMs = WRITE_TIMEOUT_MS): Promise<void> {
    const port = this.port
    if (!port?.isOpen) return Promise.reject(new Error('serial port is not open'))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`write did not finish within ${timeoutMs} ms`)),
        timeoutMs,
      )
      const finish = (err?: Error | null) => {
        clearTimeout(timer)
        if (err) reject(err)
        else resolve()
      }
      port.write(bytes, (err) => {
        if (err) return finish(err)
        port.drain(finish)
      })
    })
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    const port = this.port
    this.port = null
    this.deps.stats.open = false
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()))
  }

  private async tryOpen(): Promise<void> {
    this.timer = null
    if (this.stopped) return
    const stats = this.deps.stats
    let path: string
    try {
      path = await locatePort(
        this.config,
        this.deps.listPorts ?? (async () => (await loadSerialPort()).SerialPort.list()),
      )
      this.port = await this.open(path)
    } catch (err) {
      this.failed(err as Error)
      return
    }
    if (this.stopped) {
      this.port.close()
      this.port = null
      return
    }
    stats.path = path
    stats.open = true
    this.attempt = 0
    if (this.everOpened && this.downSince !== null) {
      const gapMs = this.now() - this.downSince
      stats.reconnects++
      stats.downtimeMs += gapMs
      this.deps.logger.warn({ port: stats.port, path, gapMs }, 'serial port reopened after a gap')
    } else {
      this.deps.logger.info({ port: stats.port, path }, 'serial port open')
    }
    this.downSince = null
    this.everOpened = true
    this.events.opened(path)
  }

  private async open(path: string): Promise<SerialPort> {
    const c = this.config
    const { SerialPort } = await loadSerialPort()
    const port = new SerialPort({
      path,
      baudRate: c.baudRate,
      dataBits: c.dataBits,
      parity: c.parity,
      stopBits: c.stopBits,
      rtscts: c.rtscts,
      autoOpen: false,
    })
    return new Promise((resolve, reject) => {
      port.open((err) => {
        if (err) return reject(err)
        port.on('data', (chunk: Buffer) => this.events.data(chunk))
        // 'error' without a listener would throw; 'close' follows for fatal ones.
        port.on('error', (e: Error) => {
          this.deps.stats.lastError = e.message
        })
        port.once('close', (e?: Error) => this.onClose(port, e))
        resolve(port)
      })
    })
  }

  private onClose(port: SerialPort, err?: Error): void {
    if (this.stopped || this.port !== port) return
    this.port = null
    const stats = this.deps.stats
    stats.open = false
    stats.disconnects++
    if (err) stats.lastError = err.message
    this.downSince = this.now()
    this.deps.logger.warn(
      { port: stats.port, path: stats.path, err: err?.message },
      'serial port lost; reopening',
    )
    this.events.lost()
    this.schedule()
  }

  private failed(err: Error): void {
    const stats = this.deps.stats
    stats.openFailures++
    stats.lastError = err.message
    this.downSince ??= this.now()
    // The first failure is worth a warning; repeats of the same error while it stays away are debug noise.
    const log =
      this.attempt === 0
        ? this.deps.logger.warn.bind(this.deps.logger)
        : this.deps.logger.debug.bind(this.deps.logger)
    log(
      { port: stats.port, err: err.message, attempt: this.attempt },
      'serial port cannot be opened; retrying',
    )
    this.schedule()
  }

  private schedule(): void {
    if (this.stopped) return
    const initial = toMs(this.config.reconnect.initial)
    const delay = Math.min(toMs(this.config.reconnect.max), initial * 2 ** Math.min(this.attempt, 20))
    this.attempt++
    this.timer = setTimeout(() => {
      this.tryOpen().catch((err: unknown) => this.failed(err as Error))
    }, delay)
  }
}
