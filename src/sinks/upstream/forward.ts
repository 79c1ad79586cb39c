import type { BrokerMessage } from '../../broker/broker-events.js'
import { topicMatches } from '../../broker/topic-match.js'
import type { PointSink } from '../sink.js'
import type { UpstreamConnection } from './connection.js'
import type { ForwardFilter } from './filters.js'
import { encodeMessage, remoteTopic } from './message-item.js'

/**
 * The local side of forwarding: subscribed inside the broker (as the gateway) to the forward filters.
 * A QoS 1 filter's message goes into the upstream outbox (durable within the commit interval); a QoS 0
 * filter's goes out now if connected, else it is dropped and counted (`offline`). The broker has sent
 * the local publisher its PUBACK before subscribers run, so nothing here waits for the commit.
 */
export class Forwarder {
  readonly counters = { stored: 0, sentQos0: 0 }
  readonly dropped: Record<string, number> = {}
  /** A message matching several filters is delivered once per filter: forwarded once, at the highest QoS. */
  private readonly seen = new WeakSet<object>()
  readonly deliver = (message: BrokerMessage): void => this.forward(message)

  constructor(
    readonly filters: readonly ForwardFilter[],
    private readonly outbox: PointSink,
    private readonly connection: UpstreamConnection,
    private readonly prefix: string,
  ) {}

  private forward(packet: BrokerMessage): void {
    if (this.seen.has(packet)) return
    this.seen.add(packet)
    const { topic } = packet
    const { payload } = packet
    const qos = this.filters.some((f) => f.qos === 1 && topicMatches(f.filter, topic)) ? 1 : 0
    if (qos === 0) {
      const client = this.connection.current
      if (client) {
        client.publish(remoteTopic(this.prefix, topic), payload, { qos: 0, retain: packet.retain })
        this.counters.sentQos0++
      } else this.dropped['offline'] = (this.dropped['offline'] ?? 0) + 1
      return
    }
    this.counters.stored++
    this.outbox.write(
      encodeMessage({ topic, payload, retain: packet.retain }),
      topic.startsWith('alerts/') ? 'alert' : 'telemetry',
    )
  }
}
