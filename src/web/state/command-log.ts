import { type CommandOutcome, isFinal } from '../../commands/command-outcome.js'

/**
 * Commands by id with their latest status, from the result topic every step is published on
 * (`tidegate/commands/<device>/<name>/result`): pending ones (queued, sent) and the recent ones.
 */
export class CommandLog {
  private readonly byId = new Map<string, CommandOutcome>()
  private refusals = 0

  constructor(private readonly size: number) {}

  observe(o: CommandOutcome): void {
    // Refusals before the dispatcher have no id; keep them apart so they never merge.
    const id = o.id || `refused-${++this.refusals}`
    this.byId.delete(id)
    this.byId.set(id, { ...o, id })
    if (this.byId.size > this.size) {
      for (const [k, v] of this.byId) {
        // Forget the oldest finished command; a pending one stays while it is pending.
        if (isFinal(v.status)) {
          this.byId.delete(k)
          break
        }
      }
    }
  }

  pending(): CommandOutcome[] {
    return [...this.byId.values()].filter((o) => !isFinal(o.status)).reverse()
  }

  /** Newest first. */
  recent(): CommandOutcome[] {
    return [...this.byId.values()].reverse()
  }
}
