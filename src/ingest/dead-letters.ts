import type { DeadLetter, DeadLetterReason } from '../core/dead-letter.js'
import type { RateLimitedLog } from '../observability/logger.js'

export const DEAD_LETTER_TOPIC_PREFIX = 'tidegate/deadletter/'

/** Where dead letters go: counted, published, logged at a bounded rate. Never throws. */
export class DeadLetters {
  readonly counts = new Map<DeadLetterReason, number>()
  private readonly listeners: ((d: DeadLetter) => void)[] = []

  constructor(
    private readonly publish: (topic: string, payload: string) => void,
    private readonly log: RateLimitedLog,
  ) {}

  record(d: DeadLetter): void {
    this.counts.set(d.reason, (this.counts.get(d.reason) ?? 0) + 1)
    this.publish(`${DEAD_LETTER_TOPIC_PREFIX}${d.reason}`, JSON.stringify(d))
    this.log.warn(
      `deadletter:${d.reason}`,
      { reason: d.reason, topic: d.topic, device: d.device, errors: d.errors.slice(0, 3) },
      'dead letter',
    )
    for (const l of this.listeners) l(d)
  }

  /** For metrics and the journal. */
  onRecord(listener: (d: DeadLetter) => void): void {
    this.listeners.push(listener)
  }

  total(): number {
    let n = 0
    for (const v of this.counts.values()) n += v
    return n
  }
}
