import { TokenBucket } from './token-bucket.js'

/** A publish held until its client's bucket has a token again; `release` lets it continue. */
type Held = () => void

/**
 * Back-pressure for one client over its publish rate: publishes beyond the bucket wait here, in
 * arrival order, and continue one per token. Aedes reads a connection again only after every publish
 * of the last read completed, so while anything waits here the client's socket is not read, its
 * kernel buffers fill, and TCP slows the sender. Nothing is dropped and nothing is acknowledged
 * before it continued (a QoS 1 PUBACK follows the ingest hook). What waits is bounded by one read.
 */
export class PublishThrottle {
  private readonly bucket: TokenBucket
  private readonly held: Held[] = []
  private timer: NodeJS.Timeout | null = null

  constructor(perSecond: number, burst: number, now: () => number = Date.now) {
    this.bucket = new TokenBucket(perSecond, burst, now)
  }

  /** True when a token was taken now; the publish may go on. */
  tryTake(): boolean {
    return this.held.length === 0 && this.bucket.take()
  }

  /** Whether publishes of this client are waiting (later ones must queue behind them). */
  get waiting(): number {
    return this.held.length
  }

  /** Holds `release` until a token is free, behind everything already held. */
  hold(release: Held): void {
    this.held.push(release)
    this.schedule()
  }

  private schedule(): void {
    if (this.timer || this.held.length === 0) return
    this.timer = setTimeout(() => {
      this.timer = null
      this.releaseReady()
    }, this.bucket.waitMs())
  }

  private releaseReady(): void {
    while (this.held.length > 0 && this.bucket.take()) (this.held.shift() as Held)()
    this.schedule()
  }
}
