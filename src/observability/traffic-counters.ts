import type { Subscription } from 'rxjs'
import type { BrokerClient, BrokerMessage, Unlisten } from '../broker/broker.js'
import type { Event } from '../core/event.js'
import type { GatewayContext } from '../extension.js'

/** What an MQTT publish is, from its topic: a bounded label (never the device id). */
export type PublishKind =
  | 'device_data'
  | 'command'
  | 'ack'
  | 'availability'
  | 'alert'
  | 'dead_letter'
  | 'gateway'
  | 'sys'
  | 'other'

export function publishKind(topic: string): PublishKind {
  if (topic.startsWith('devices/')) {
    const rest = topic.indexOf('/', 8)
    if (rest < 0) return 'device_data'
    const tail = topic.slice(rest + 1)
    if (tail.startsWith('commands/') || tail === 'commands') return 'command'
    if (tail === 'acks') return 'ack'
    if (tail === 'availability') return 'availability'
    return 'device_data'
  }
  if (topic.startsWith('alerts/')) return 'alert'
  if (topic.startsWith('tidegate/deadletter/')) return 'dead_letter'
  if (topic.startsWith('tidegate/')) return 'gateway'
  if (topic.startsWith('$SYS/')) return 'sys'
  return 'other'
}

const SEP = '\u0000'

/**
 * Cheap hot-path counters: one Map increment per accepted event and per broker publish. Keys are built
 * from bounded values only (source, device type, stream; publish origin and kind).
 */
export class TrafficCounters {
  private readonly events = new Map<string, number>()
  private readonly publishes = new Map<string, number>()
  private subscription: Subscription | null = null
  private unlisten: Unlisten | null = null
  private readonly onPublish = (packet: BrokerMessage, client: BrokerClient | null): void => {
    const key = `${client ? 'client' : 'gateway'}${SEP}${publishKind(packet.topic)}`
    this.publishes.set(key, (this.publishes.get(key) ?? 0) + 1)
  }

  constructor(private readonly ctx: GatewayContext) {}

  start(): void {
    this.subscription = this.ctx.events.subscribe((e) => this.countEvent(e))
    this.unlisten = this.ctx.broker.onPublish(this.onPublish)
  }

  stop(): void {
    this.subscription?.unsubscribe()
    this.subscription = null
    this.unlisten?.()
    this.unlisten = null
  }

  private countEvent(e: Event): void {
    const key = `${e.source}${SEP}${e.type}${SEP}${e.stream}`
    this.events.set(key, (this.events.get(key) ?? 0) + 1)
  }

  *eventSeries(): Iterable<[Record<string, string>, number]> {
    for (const [key, n] of this.events) {
      const [source = '', type = '', stream = ''] = key.split(SEP)
      yield [{ source, type, stream }, n]
    }
  }

  *publishSeries(): Iterable<[Record<string, string>, number]> {
    for (const [key, n] of this.publishes) {
      const [origin = '', kind = ''] = key.split(SEP)
      yield [{ origin, kind }, n]
    }
  }
}
