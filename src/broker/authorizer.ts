import type { AedesPublishPacket, Client, PublishPacket, Subscription } from 'aedes'
import type { Acl } from './acl.js'
import type { Authenticator } from './authenticator.js'
import type { MqttConfig } from './config-schema.js'
import type { Refusals } from './refusals.js'
import { TokenBucket } from './token-bucket.js'

/** Where a rate-limited publish goes: `$` topics never match a client's wildcard subscription [MQTT-4.7.2-1]. */
export const DROPPED_TOPIC = '$tidegate/dropped'

type PublishHook = (client: Client | null, packet: PublishPacket, done: (err?: Error | null) => void) => void

/**
 * The ACL and the per-client publish rate in front of ingest: a publish that is denied or over the
 * rate never reaches `next` (the ingest hook). Denied publishes disconnect (MQTT 3.1.1 has no negative
 * PUBACK); denied subscriptions answer SUBACK 0x80; delivery re-checks the subscriber's read access.
 */
export class Authorizer {
  private readonly buckets = new WeakMap<Client, TokenBucket>()
  /** Payload buffers of publishes dropped by the rate limit; aedes keeps the buffer through forwarding. */
  private readonly dropped = new WeakSet<Buffer>()

  constructor(
    private readonly acl: Acl,
    private readonly auth: Authenticator,
    private readonly rate: MqttConfig['publishRate'],
    private readonly refusals: Refusals,
    private readonly next: PublishHook,
    private readonly now: () => number = Date.now,
  ) {}

  readonly authorizePublish: PublishHook = (client, packet, done) => {
    // The gateway's own publishes (alerts, dead letters) have no client.
    if (!client) return this.next(client, packet, done)
    const grant = this.auth.grantOf(client)
    const detail = { clientId: client.id, topic: packet.topic.slice(0, 200) }
    const decision = grant ? this.acl.canPublish(grant, packet.topic) : 'denied'
    if (decision !== 'allow') {
      this.refusals.refuse(decision === 'reserved' ? 'reserved_topic' : 'acl_publish', detail)
      return done(new Error(`publish to ${packet.topic} not allowed`))
    }
    if (!this.takeToken(client)) {
      this.refusals.refuse('rate_limited', detail)
      if (this.rate.onExceed === 'disconnect') return done(new Error('publish rate exceeded'))
      // Drop: acknowledge as the protocol requires, but neither ingest, retain nor forward it. Aedes
      // still routes what this hook lets through, and features watch every publish by topic (command
      // requests, acks, availability), so the packet goes on under a topic no one handles, and
      // delivery to clients is refused by its payload identity.
      this.dropped.add(packet.payload as Buffer)
      packet.retain = false
      packet.topic = DROPPED_TOPIC
      return done(null)
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

  private takeToken(client: Client): boolean {
    if (this.rate.perSecond <= 0) return true
    let bucket = this.buckets.get(client)
    if (!bucket) {
      bucket = new TokenBucket(this.rate.perSecond, this.rate.burst, this.now)
      this.buckets.set(client, bucket)
    }
    return bucket.take()
  }
}
