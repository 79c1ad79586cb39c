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
  // startsWith/endsWith at offsets, not slice: this runs for every publish the broker handles.
  if (topic.startsWith('devices/')) {
    const rest = topic.indexOf('/', 8)
    if (rest < 0) return 'device_data'
    const tail = rest + 1
    if (topic.startsWith('commands/', tail) || (topic.length === tail + 8 && topic.endsWith('commands')))
      return 'command'
    if (topic.length === tail + 4 && topic.endsWith('acks')) return 'ack'
    if (topic.length === tail + 12 && topic.endsWith('availability')) return 'availability'
    return 'device_data'
  }
  if (topic.startsWith('alerts/')) return 'alert'
  if (topic.startsWith('tidegate/deadletter/')) return 'dead_letter'
  if (topic.startsWith('tidegate/')) return 'gateway'
  if (topic.startsWith('$SYS/')) return 'sys'
  return 'other'
}

/** A count that is bumped in place: no Map.set, no key string per message. */
interface Counter {
  n: number
}

/**
 * Cheap hot-path counters: one increment per accepted event and per broker publish, found through
 * nested Maps of bounded values (source, device type, stream; publish origin and kind), so no key
 * string is built per message.
 */
export class TrafficCounters {
  /** source → type → stream → count */
  private readonly events = new Map<string, Map<string, Map<string, Counter>>>()
  /** origin → kind → count */
  private readonly publishes = new Map<string, Map<PublishKind, Counter>>()
  private subscription: Subscription | null = null
  private unlisten: Unlisten | null = null
  private readonly onPublish = (packet: BrokerMessage, client: BrokerClient | null): void => {
    counter(branch(this.publishes, client ? 'client' : 'gateway'), publishKind(packet.topic)).n++
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
    counter(branch(branch(this.events, e.source), e.type), e.stream).n++
  }

  *eventSeries(): Iterable<[Record<string, string>, number]> {
    for (const [source, types] of this.events)
      for (const [type, streams] of types)
        for (const [stream, c] of streams) yield [{ source, type, stream }, c.n]
  }

  *publishSeries(): Iterable<[Record<string, string>, number]> {
    for (const [origin, kinds] of this.publishes) for (const [kind, c] of kinds) yield [{ origin, kind }, c.n]
  }
}

function branch<K, V>(map: Map<string, Map<K, V>>, key: string): Map<K, V> {
  let m = map.get(key)
  if (m === undefined) {
    m = new Map()
    map.set(key, m)
  }
  return m
}

function counter<K>(map: Map<K, Counter>, key: K): Counter {
  let c = map.get(key)
  if (c === undefined) {
    c = { n: 0 }
    map.set(key, c)
  }
  return c
}
