import type { AedesPublishPacket, Client, PublishPacket, Subscription } from 'aedes'
import type { Acl } from './acl.js'
import type { Authenticator } from './authenticator.js'
import type { MqttConfig } from './config-schema.js'
import { PublishThrottle } from './publish-throttle.js'
import type { Refusals } from './refusals.js'

/** Where a rate-limited publish goes: `$` topics never match a client's wildcard subscription [MQTT-4.7.2-1]. */
export const DROPPED_TOPIC = '$tidegate/dropped'

type PublishHook = (client: Client | null, packet: PublishPacket, done: (err?: Error | null) => void) => void

/**
 * The ACL and the per-client publish rate in front of ingest: a denied publish never reaches `next`
 * (the ingest hook); one over the rate waits for a token (back-pressure) unless `onExceed` says
 * otherwise. Denied publishes disconnect (MQTT 3.1.1 has no negative PUBACK); denied subscriptions
 * answer SUBACK 0x80; delivery re-checks the subscriber's read access.
 */
export class Authorizer {
  private readonly throttles = new WeakMap<Client, PublishThrottle>()
  private readonly exempt: ReadonlySet<string>
  /** Payload buffers of publishes dropped by the rate limit; aedes keeps the buffer through forwarding. */
  private readonly dropped = new WeakSet<Buffer>()

  constructor(
    private readonly acl: Acl,
    private readonly auth: Authenticator,
    private readonly rate: MqttConfig['publishRate'],
    private readonly refusals: Refusals,
    private readonly next: PublishHook,
    private readonly now: () => number = Date.now,
  ) {
    this.exempt = new Set(rate.exemptRoles)
  }

  readonly authorizePublish: PublishHook = (client, packet, done) => {
    // The gateway's own publishes (alerts, dead letters) have no client.
    if (!client) return this.next(client, packet, done)
    const grant = this.auth.grantOf(client)
    const decision = grant ? this.acl.canPublish(grant, packet.topic) : 'denied'
    if (decision !== 'allow') {
      this.refusals.refuse(
        decision === 'reserved' ? 'reserved_topic' : 'acl_publish',
        refusalDetail(client, packet),
      )
      return done(new Error(`publish to ${packet.topic} not allowed`))
    }
    const throttle = this.throttleOf(client, grant?.role)
    if (throttle && !throttle.tryTake()) {
      const onExceed = this.rate.onExceed
      if (onExceed === 'disconnect') {
        this.refusals.refuse('rate_limited', refusalDetail(client, packet))
        return done(new Error('publish rate exceeded'))
      }
      // Only QoS 0 is ever dropped: a QoS 1/2 publish is acknowledged after this hook, so dropping it
      // would lose data the client was told is kept. It waits for a token like under back-pressure.
      if (onExceed === 'drop' && packet.qos === 0)
        return this.drop(packet, refusalDetail(client, packet), done)
      this.refusals.refuse('rate_throttled', refusalDetail(client, packet))
      return throttle.hold(() => this.next(client, packet, done))
    }
    this.next(client, packet, done)
  }

  readonly authorizeSubscribe = (
    client: Client,
    sub: Subscription,
    done: (err: Error | null, sub?: Subscription | null) => void,
  ): void => {
    const grant = this.auth.grantOf(client)
    if (grant && this.acl.canSubscribe(grant, sub.topic)) return done(null, sub)
    this.refusals.refuse('acl_subscribe', { clientId: client.id, filter: sub.topic.slice(0, 200) })
    done(null, null) // SUBACK 0x80 for this filter [MQTT-3.9.3]
  }

  readonly authorizeForward = (client: Client, packet: AedesPublishPacket): AedesPublishPacket | null => {
    if (this.dropped.has(packet.payload as Buffer)) return null
    const grant = this.auth.grantOf(client)
    if (!grant || !this.acl.canReceive(grant, packet.topic)) return null
    return packet
  }

  /**
   * Drop (QoS 0 only): neither ingest, retain nor forward it. Aedes still routes what this hook lets
   * through, and features watch every publish by topic (command requests, acks, availability), so the
   * packet goes on under a topic no one handles, and delivery to clients is refused by its payload.
   */
  private drop(packet: PublishPacket, detail: Record<string, unknown>, done: (err?: Error | null) => void) {
    this.refusals.refuse('rate_limited', detail)
    this.dropped.add(packet.payload as Buffer)
    packet.retain = false
    packet.topic = DROPPED_TOPIC
    done(null)
  }

  /** The client's throttle; none when the limit is off or its role is exempt. */
  private throttleOf(client: Client, role: string | undefined): PublishThrottle | null {
    if (this.rate.perSecond <= 0 || (role !== undefined && this.exempt.has(role))) return null
    let throttle = this.throttles.get(client)
    if (!throttle) {
      throttle = new PublishThrottle(this.rate.perSecond, this.rate.burst, this.now)
      this.throttles.set(client, throttle)
    }
    return throttle
  }
}

/** What a refusal log line says about the publish; built only for a refusal (not a closure per publish). */
function refusalDetail(client: { id: string }, packet: { topic: string }): Record<string, unknown> {
  return { clientId: client.id, topic: packet.topic.slice(0, 200) }
}
