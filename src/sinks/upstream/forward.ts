import type { BrokerMessage } from '../../broker/broker-events.js'
import { topicMatches } from '../../broker/topic-match.js'
import type { PointSink } from '../sink.js'
import type { UpstreamConnection } from './connection.js'
import type { ForwardFilter } from './filters.js'
import { encodeMessage, remoteTopic } from './message-item.js'

/**
 * The local side of forwarding: subscribed inside the broker (as the gateway) to the forward filters.
 * A QoS 1 filter's message goes into the upstream outbox; a QoS 0 filter's goes out now if connected, else
 * it is dropped and counted (`offline`).
 * A client's QoS 1/2 publish is taken earlier, by `tap` before its PUBACK (Aedes acknowledges QoS 1 before
 * subscribers run), and the PUBACK waits for the outbox commit: nothing acknowledged is lost in a crash.
 * The subscriber path then skips it (recognised by its payload buffer, which Aedes passes on unchanged).
 */
export class Forwarder {
  readonly counters = { stored: 0, sentQos0: 0 }
  readonly dropped: Record<string, number> = {}
  /** A message matching several filters is delivered once per filter: forwarded once, at the highest QoS. */
  private readonly seen = new WeakSet<object>()
  /** Payloads already stored by `tap`; weak, so a message the broker never delivers leaves nothing behind. */
  private readonly tapped = new WeakSet<object>()
  readonly deliver = (message: BrokerMessage): void => this.forward(message)

  /** Before the PUBACK of a client's QoS 1/2 publish: store it now if a QoS 1 filter forwards it. */
  readonly tap = (message: BrokerMessage): ((durable: () => void) => void) | null => {
    // An empty payload may be a shared buffer, so it cannot mark one message; it takes the subscriber path.
    if (message.payload.length === 0 || !this.storesQos1(message.topic)) return null
    this.tapped.add(message.payload)
    this.store(message)
    return (durable) => this.outbox.whenAccepted(durable)
  }

  constructor(
    readonly filters: readonly ForwardFilter[],
    private readonly outbox: PointSink,
    private readonly connection: UpstreamConnection,
    private readonly prefix: string,
  ) {}

  private forward(packet: BrokerMessage): void {
    if (this.seen.has(packet) || this.tapped.has(packet.payload)) return
    this.seen.add(packet)
    const { topic } = packet
    const { payload } = packet
    if (!this.storesQos1(topic)) {
      const client = this.connection.current
      if (client) {
        client.publish(remoteTopic(this.prefix, topic), payload, { qos: 0, retain: packet.retain })
        this.counters.sentQos0++
      } else this.dropped['offline'] = (this.dropped['offline'] ?? 0) + 1
      return
    }
    this.store(packet)
  }

  private storesQos1(topic: string): boolean {
    return this.filters.some((f) => f.qos === 1 && topicMatches(f.filter, topic))
  }

  private store({ topic, payload, retain }: BrokerMessage): void {
    this.counters.stored++
    this.outbox.write(
      encodeMessage({ topic, payload, retain }),
      topic.startsWith('alerts/') ? 'alert' : 'telemetry',
    )
  }
}
