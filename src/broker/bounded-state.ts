import type { Client } from 'aedes'
import type { Refusals } from './refusals.js'

/** The slice of the aedes-persistence API (promise style, as Aedes 1.x calls it) this module wraps. */
export interface PersistenceLike {
  storeRetained(packet: { topic: string; payload: Buffer }): Promise<void>
  outgoingEnqueueCombi(subs: { clientId: string }[], packet: unknown): Promise<void>
  outgoingClearMessageId(client: { id: string }, packet: unknown): Promise<unknown>
  outgoingStream(client: { id: string }): AsyncIterable<unknown>
  cleanSubscriptions(client: { id: string }): Promise<void>
  cleanIncoming?(client: { id: string }): Promise<void>
}

export interface BoundedStateLimits {
  maxRetained: number
  retainedExpiryMs: number
  maxSessions: number
  sessionExpiryMs: number
  maxOfflineQueue: number
}

/**
 * Keeps the broker's state bounded against hostile or careless clients: the number of retained topics,
 * persistent sessions (clean session 0) and messages queued per session are capped, and old retained
 * messages and long-offline sessions expire. It wraps the in-memory persistence in place; every cap hit
 * and expiry is counted.
 */
export class BoundedState {
  /** Retained topic → when it was last set. */
  private readonly retained = new Map<string, number>()
  /** Persistent session client id → when it went offline (null while connected). */
  private readonly sessions = new Map<string, number | null>()
  /** Queued-but-unacknowledged messages per session, to cap the offline queue. */
  private readonly queued = new Map<string, number>()
  private timer: NodeJS.Timeout | null = null
  private original: Pick<
    PersistenceLike,
    'storeRetained' | 'outgoingEnqueueCombi' | 'outgoingClearMessageId'
  > | null = null

  constructor(
    private readonly persistence: PersistenceLike,
    private readonly limits: BoundedStateLimits,
    private readonly refusals: Refusals,
    private readonly now: () => number = Date.now,
  ) {}

  get retainedCount(): number {
    return this.retained.size
  }

  get sessionCount(): number {
    return this.sessions.size
  }

  start(sweepEveryMs = 60_000): void {
    const p = this.persistence
    const original = {
      storeRetained: p.storeRetained.bind(p),
      outgoingEnqueueCombi: p.outgoingEnqueueCombi.bind(p),
      outgoingClearMessageId: p.outgoingClearMessageId.bind(p),
    }
    this.original = original
    p.storeRetained = (packet) =>
      this.admitRetained(packet) ? original.storeRetained(ownPayload(packet)) : Promise.resolve()
    p.outgoingEnqueueCombi = (subs, packet) => original.outgoingEnqueueCombi(this.admitQueued(subs), packet)
    p.outgoingClearMessageId = async (client, packet) => {
      const removed = await original.outgoingClearMessageId(client, packet)
      if (removed) this.dequeued(client.id)
      return removed
    }
    this.timer = setInterval(() => this.sweep().catch(() => undefined), sweepEveryMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  /** Called before authentication: false refuses a new persistent session when the cap is reached. */
  admitSession(client: Client): boolean {
    if (client.clean) {
      // A clean session replaces a stored one of the same id [MQTT-3.1.2-6].
      this.sessions.delete(client.id)
      this.queued.delete(client.id)
      return true
    }
    if (this.sessions.has(client.id) || this.sessions.size < this.limits.maxSessions) return true
    this.refusals.refuse('session_cap', { clientId: client.id, sessions: this.sessions.size })
    return false
  }

  clientReady(client: Client): void {
    if (!client.clean) this.sessions.set(client.id, null)
  }

  clientGone(client: Client): void {
    if (this.sessions.has(client.id)) this.sessions.set(client.id, this.now())
  }

  /** Removes expired retained messages and sessions; the interval calls it, tests may too. */
  async sweep(): Promise<void> {
    const t = this.now()
    if (this.limits.retainedExpiryMs > 0 && this.original) {
      for (const [topic, at] of this.retained) {
        if (t - at < this.limits.retainedExpiryMs) continue
        this.retained.delete(topic)
        this.refusals.refuse('retained_expired', { topic: topic.slice(0, 200) })
        await this.original.storeRetained({ topic, payload: Buffer.alloc(0) })
      }
    }
    if (this.limits.sessionExpiryMs > 0) {
      for (const [id, offlineSince] of this.sessions) {
        if (offlineSince === null || t - offlineSince < this.limits.sessionExpiryMs) continue
        this.sessions.delete(id)
        this.refusals.refuse('session_expired', { clientId: id })
        await this.dropSession(id)
      }
    }
  }

  private async dropSession(id: string): Promise<void> {
    const p = this.persistence
    await p.cleanSubscriptions({ id })
    await p.cleanIncoming?.({ id })
    // The memory persistence has no "delete queue"; clearing each queued packet empties it.
    const queued: unknown[] = []
    for await (const packet of p.outgoingStream({ id })) queued.push(packet)
    for (const packet of queued) await p.outgoingClearMessageId({ id }, packet)
    this.queued.delete(id)
  }

  private admitRetained(packet: { topic: string; payload: Buffer }): boolean {
    if (packet.payload.length === 0) {
      this.retained.delete(packet.topic)
      return true
    }
    if (this.retained.has(packet.topic) || this.retained.size < this.limits.maxRetained) {
      this.retained.set(packet.topic, this.now())
      return true
    }
    this.refusals.refuse('retained_cap', { topic: packet.topic.slice(0, 200), retained: this.retained.size })
    return false
  }

  private admitQueued(subs: { clientId: string }[]): { clientId: string }[] {
    return subs.filter((sub) => {
      const n = this.queued.get(sub.clientId) ?? 0
      if (n >= this.limits.maxOfflineQueue) {
        this.refusals.refuse('offline_queue_full', { clientId: sub.clientId })
        return false
      }
      this.queued.set(sub.clientId, n + 1)
      return true
    })
  }

  private dequeued(id: string): void {
    const n = this.queued.get(id)
    if (n === undefined) return
    if (n <= 1) this.queued.delete(id)
    else this.queued.set(id, n - 1)
  }
}

/**
 * The packet with a payload of its own when it is a view into a larger buffer. A publish's payload is a view
 * into the piece its connection read (4 KiB, or a larger packet that mqtt-packet gathered); kept as the
 * retained message for days, that view would keep the whole piece in memory. Live deliveries share the original.
 */
function ownPayload<P extends { payload: Buffer }>(packet: P): P {
  const payload = packet.payload
  if (payload.byteLength === payload.buffer.byteLength) return packet
  // Its own ArrayBuffer, not a slice of Node's shared 8 KiB pool (which a long-lived copy would pin in turn).
  const own = Buffer.allocUnsafeSlow(payload.length)
  payload.copy(own)
  return { ...packet, payload: own }
}
