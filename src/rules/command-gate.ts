import type { RuleCommand } from './effects.js'

/**
 * Per-target (device + command name) minimum interval, so a flapping rule cannot hammer a relay.
 * A command inside the interval is not dropped: it waits, and a newer one replaces it (the latest
 * wanted state wins), so the `off` after a brief `on` still reaches the device.
 */
export class CommandGate {
  private readonly lastSent = new Map<string, number>()
  private readonly waiting = new Map<string, { command: RuleCommand; due: number }>()
  deferred = 0
  replaced = 0

  constructor(private readonly send: (c: RuleCommand) => void) {}

  offer(command: RuleCommand, minIntervalMs: number, now: number): void {
    const target = `${command.device}\u0000${command.name}`
    const last = this.lastSent.get(target)
    if (last === undefined || now - last >= minIntervalMs) {
      this.waiting.delete(target)
      this.lastSent.set(target, now)
      this.send(command)
      return
    }
    if (this.waiting.has(target)) this.replaced++
    else this.deferred++
    this.waiting.set(target, { command, due: last + minIntervalMs })
  }

  /** Sends the waiting commands whose interval has passed. */
  tick(now: number): void {
    if (this.waiting.size === 0) return
    for (const [target, w] of this.waiting) {
      if (now < w.due) continue
      this.waiting.delete(target)
      this.lastSent.set(target, now)
      this.send({ ...w.command, at: now })
    }
  }

  get pending(): number {
    return this.waiting.size
  }
}
