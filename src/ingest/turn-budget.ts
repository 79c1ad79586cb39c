// The real ones, whatever a test fakes on globalThis: the budget is about the real event loop.
import { performance } from 'node:perf_hooks'
import { setImmediate, setTimeout } from 'node:timers'

/**
 * Bounds the ingest work done in one event-loop turn. Under a publish flood libuv reads every socket
 * up to 32 times per poll and aedes handles each read synchronously, so a single turn could last
 * seconds: timers (the outbox's group commit, flush interval), setImmediate (lmdb starts its commits
 * there) and the InfluxDB requests all waited for the flood to stop. Past `budgetMs` of work in a turn,
 * tasks queue (in order) and run from setImmediate a budget at a time; since aedes reads a connection
 * again only when its publishes are done, the sockets wait in the kernel (TCP backpressure) meanwhile.
 */
export class TurnBudget {
  private readonly queue: (() => void)[] = []
  private head = 0
  /** When the current turn's budget started; null until a task runs in this turn. */
  private turnStartedAt: number | null = null
  private drainScheduled = false

  constructor(private readonly budgetMs: number) {}

  /** Runs `task` now if this turn has budget left and nothing waits before it; otherwise queues it. */
  run(task: () => void): void {
    if (this.head === this.queue.length && this.hasBudget()) {
      task()
      return
    }
    this.queue.push(task)
    this.scheduleDrain()
  }

  /** Tasks waiting for a later turn. */
  get queued(): number {
    return this.queue.length - this.head
  }

  private hasBudget(): boolean {
    const now = performance.now()
    if (this.turnStartedAt === null) {
      this.turnStartedAt = now
      // A new turn starts at the next timers phase, not at the next check phase: the check phase of this
      // same loop iteration comes after poll without timers in between, so resetting there gave poll's
      // ingest and then the drain a budget each (20 ms, plus parsing and GC: the 25–35 ms event-loop
      // delays at 10k msg/s). Timers fire once the loop got back round to them.
      setTimeout(() => {
        this.turnStartedAt = null
      }, 0)
    }
    return now - this.turnStartedAt < this.budgetMs
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return
    this.drainScheduled = true
    setImmediate(() => this.drain())
  }

  private drain(): void {
    this.drainScheduled = false
    // At least one task per turn, whatever the budget: the queue always moves.
    let first = true
    while (this.head < this.queue.length && (this.hasBudget() || first)) {
      first = false
      const task = this.queue[this.head] as () => void
      this.queue[this.head++] = noop // let it be collected
      try {
        task()
      } catch {
        // A task's failure is its own (the ingest hook never throws); the rest must still run.
      }
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0
      this.head = 0
    } else {
      if (this.head > 4096) {
        this.queue.splice(0, this.head)
        this.head = 0
      }
      this.scheduleDrain()
    }
  }
}

function noop(): void {}
