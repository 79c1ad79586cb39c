import { encodePayload } from '../../core/dead-letter.js'
import type { Event } from '../../core/event.js'
import type { DeviceType } from '../../devices/catalog.js'
import type { Logger } from '../../observability/logger.js'
import type { DeadLetters } from '../dead-letters.js'
import type { Normalizer } from '../normalize.js'
import { portLabel } from './check.js'
import { type Codec, createCodec } from './codecs/index.js'
import type { SerialPortConfig } from './config-schema.js'
import { createFramer, type Framer, type FramingErrorKind } from './framing.js'
import { SerialConnection } from './port-connection.js'
import type { ListPorts } from './port-locator.js'
import { countError, emptyStats, type SerialPortStats } from './port-stats.js'

/** Device ids go into topics and tags: no MQTT wildcards, separators or blanks. */
const DEVICE_ID_RE = /^[^/+#\s]{1,128}$/

export interface SerialSourceDeps {
  type: DeviceType
  normalizer: Normalizer
  deadLetters: DeadLetters
  emit: (event: Event) => void
  logger: Logger
  /** Called for the port's fixed device at start and for each device whose valid frames arrive here, so commands to it can go out on this port. */
  bindDevice: (device: string, source: SerialSource, learned: boolean) => void
  listPorts?: ListPorts
  now?: () => number
}

/**
 * One configured port: connection → framing → codec → device id → the shared ingest path
 * (normalise, validate, gates, emit). Bad input becomes a counted dead letter; nothing here throws.
 */
export class SerialSource {
  readonly label: string
  readonly stats: SerialPortStats
  readonly connection: SerialConnection
  private readonly codec: Codec
  private readonly topic: string
  private framer: Framer | null = null
  private readonly now: () => number

  constructor(
    readonly config: SerialPortConfig,
    private readonly deps: SerialSourceDeps,
  ) {
    this.label = portLabel(config)
    this.topic = `serial:${this.label}`
    this.stats = emptyStats(this.label, deps.type.name)
    this.now = deps.now ?? Date.now
    this.codec = createCodec(config.codec, deps.type.definition.schema)
    this.connection = new SerialConnection(
      config,
      {
        data: (chunk) => this.onBytes(chunk),
        opened: () => this.newFramer(),
        lost: () => this.dropFramer(),
      },
      { logger: deps.logger, stats: this.stats, listPorts: deps.listPorts, now: this.now },
    )
  }

  get deviceType(): DeviceType {
    return this.deps.type
  }

  async start(): Promise<void> {
    if (this.config.device.id) this.deps.bindDevice(this.config.device.id, this, false)
    await this.connection.start()
  }

  async stop(): Promise<void> {
    await this.connection.stop()
    this.dropFramer()
  }

  /** Entry for bytes; public so a bench can drive the pipeline without a port. */
  onBytes(chunk: Buffer): void {
    this.stats.bytes += chunk.length
    if (!this.framer) this.newFramer()
    try {
      this.framer?.push(chunk)
    } catch (err) {
      // A parser bug must not take the port down: the bytes become a dead letter.
      this.reject('decode', chunk, `framing failed: ${(err as Error).message}`)
    }
  }

  private newFramer(): void {
    this.dropFramer()
    this.framer = createFramer(this.config.framing, {
      frame: (payload) => {
        // Frames also come from parser timers (timeout framing), outside onBytes: nothing may escape.
        try {
          this.onFrame(payload)
        } catch (err) {
          this.reject('internal', payload, `frame handling failed: ${(err as Error).message}`)
        }
      },
      discard: (kind: FramingErrorKind, raw, message) => this.reject(kind, raw, message),
    })
  }

  private dropFramer(): void {
    this.framer?.close()
    this.framer = null
  }

  private onFrame(frame: Buffer): void {
    const received = this.now()
    this.stats.frames++
    this.stats.lastFrameAt = received
    const decoded = this.codec.decode(frame)
    if (decoded.ok === 'ignored') {
      this.stats.ignored++
      return
    }
    if (!decoded.ok) return this.reject(decoded.kind, frame, decoded.message)
    const device = this.deviceOf(decoded.data, frame)
    if (device === null) return
    const outcome = this.deps.normalizer.fromDevice(
      device,
      this.deps.type,
      decoded.data,
      received,
      'serial',
      this.topic,
      frame,
    )
    if (!outcome.ok) {
      countError(this.stats, outcome.dead.reason)
      this.deps.deadLetters.record(outcome.dead)
      return
    }
    // Only a valid frame binds its device here for commands: noise must not claim device ids.
    if (this.config.device.field) this.deps.bindDevice(device, this, true)
    this.stats.events++
    this.deps.emit(outcome.event)
  }

  /** The fixed id, or the named field (taken out of the data: it is the device tag, not a reading). */
  private deviceOf(data: Record<string, unknown>, frame: Buffer): string | null {
    const fixed = this.config.device.id
    if (fixed) return fixed
    const field = this.config.device.field as string
    const value = data[field]
    const id = typeof value === 'string' || typeof value === 'number' ? String(value) : ''
    if (!DEVICE_ID_RE.test(id)) {
      const why =
        value === undefined ? `has no device field "${field}"` : `device field "${field}" is not a valid id`
      this.reject('device_id', frame, `frame ${why}`)
      return null
    }
    delete data[field]
    return id
  }

  private reject(kind: string, raw: Buffer, message: string): void {
    countError(this.stats, kind)
    this.deps.deadLetters.record({
      reason: 'frame',
      topic: this.topic,
      ...encodePayload(raw),
      errors: [`${kind}: ${message}`],
      device: this.config.device.id,
      type: this.deps.type.name,
      at: this.now(),
    })
  }
}
