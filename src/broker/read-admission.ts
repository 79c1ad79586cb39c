import { setImmediate } from 'node:timers'

/**
 * Admission of socket reads against one broker-wide bound of packets in flight. A connection reads a piece
 * only while the broker holds fewer than `maxInFlight` parsed packets; otherwise it waits its turn here, in
 * arrival order, and its bytes wait in its stream and in the kernel (TCP slows the sender). Nothing is
 * dropped: a waiting connection reads as soon as handled packets make room.
 */
export class ReadAdmission {
  private inFlight = 0
  private readonly waiting: (() => void)[] = []
  private wakeScheduled = false

  /**
   * `maxInFlight` is `mqtt.maxPacketsInFlight` (default 2048). Each packet costs ~2 KB of heap while it
   * waits (the packet, Aedes' publish state, the ingest task), so 2048 is ~4 MB. Ten busy connections never
   * reach it (one piece each is ~45 packets); a thousand connections behind held ~45 000 without it, and the
   * heap filled before the gateway caught up (docs/footprint.md).
   */
  constructor(private readonly maxInFlight: number) {}

  /** Whether a connection may start reading now: nobody waits before it and there is room. */
  get open(): boolean {
    return this.waiting.length === 0 && this.hasRoom
  }

  /** Whether there is room for another piece (a connection that is reading goes on while there is). */
  get hasRoom(): boolean {
    return this.inFlight < this.maxInFlight
  }

  /** Parsed packets not yet handled, across every connection. */
  get packetsInFlight(): number {
    return this.inFlight
  }

  /** Connections waiting for room to read. */
  get connectionsWaiting(): number {
    return this.waiting.length
  }

  parsed(): void {
    this.inFlight++
  }

  handled(count = 1): void {
    this.inFlight -= count
    if (this.waiting.length > 0 && this.hasRoom) this.scheduleWake()
  }

  /** Calls `read` when there is room, after every connection that waited before it. */
  wait(read: () => void): void {
    this.waiting.push(read)
    if (this.hasRoom) this.scheduleWake()
  }

  /**
   * Wakes waiting connections from a fresh turn, never from inside a handled packet's callback (which can
   * run while another connection's parser is walking its piece).
   */
  private scheduleWake(): void {
    if (this.wakeScheduled) return
    this.wakeScheduled = true
    setImmediate(() => {
      this.wakeScheduled = false
      while (this.waiting.length > 0 && this.hasRoom) (this.waiting.shift() as () => void)()
    })
  }
}
