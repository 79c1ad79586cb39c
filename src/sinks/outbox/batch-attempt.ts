import { type Clock, systemClock } from '../../core/clock.js'

/** Why a batch stopped before the destination answered for all of it. */
export class BatchAborted extends Error {
  constructor(readonly reason: 'dropped' | 'shutdown') {
    super(`batch aborted: ${reason}`)
  }
}

/**
 * The control handle of one batch in flight: lets the outbox abort it (its chunks were dropped, or the
 * shutdown deadline passed) and cut a backoff short (the destination is back, or we are draining).
 */
export class BatchAttempt {
  constructor(private readonly clock: Clock = systemClock) {}

  private readonly controller = new AbortController()
  private abortReason: BatchAborted | null = null
  private wakeSleep: (() => void) | null = null
  private wire = false
  /** Part of the batch already landed or was dead-lettered (bisecting): dropping it would miscount. */
  settledAny = false
  /** Called when a request of this batch was answered or failed (the outbox re-checks its byte bound). */
  onWireEnd: () => void = () => {}

  /** A request is on the wire: its lines may land, so the batch cannot be dropped now. */
  get onWire(): boolean {
    return this.wire
  }

  set onWire(value: boolean) {
    this.wire = value
    if (!value) this.onWireEnd()
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  abort(reason: 'dropped' | 'shutdown'): void {
    if (this.abortReason) return
    this.abortReason = new BatchAborted(reason)
    this.controller.abort(this.abortReason)
  }

  throwIfAborted(): void {
    if (this.abortReason) throw this.abortReason
  }

  /** Ends a backoff now. */
  wake(): void {
    this.wakeSleep?.()
  }

  /** Waits `ms`, or less when woken; rejects with BatchAborted when aborted. */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.abortReason) return reject(this.abortReason)
      const finish = (err?: BatchAborted) => {
        this.clock.clearTimeout(timer)
        this.signal.removeEventListener('abort', onAbort)
        this.wakeSleep = null
        if (err) reject(err)
        else resolve()
      }
      const onAbort = () => finish(this.abortReason ?? new BatchAborted('shutdown'))
      const timer = this.clock.setTimeout(finish, ms)
      this.signal.addEventListener('abort', onAbort, { once: true })
      this.wakeSleep = () => finish()
    })
  }
}
