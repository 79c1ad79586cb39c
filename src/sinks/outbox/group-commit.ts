import { type Clock, systemClock } from '../../core/clock.js'
import { ChunkBytes } from '../../store/chunk-bytes.js'
import type { ChunkMeta, NewChunk } from '../../store/chunk-store.js'
import type { PointClass } from '../sink.js'

interface OpenChunk {
  bytes: ChunkBytes
  firstAt: number
}

interface CommitGroup {
  callbacks: (() => void)[]
  done: boolean
  lines: number
  bytes: number
  oldestAt: number
}

export interface GroupCommitOptions {
  /** Window of a commit that something waits for: a QoS 1 PUBACK (whenCommitted), or an alert or derived point. */
  commitIntervalMs: number
  /**
   * Window of a commit that only holds telemetry nobody waits for (QoS 0, serial): each commit costs an LMDB
   * transaction, an fsync and a chunk to read back and delete, so at 10k msg/s 5 ms windows cost ~14 % of the
   * main thread against 100 ms ones. Such a reading was never acknowledged; a crash loses at most this window
   * of it. Defaults to commitIntervalMs.
   */
  unackedCommitIntervalMs?: number
  /** Lines per chunk: a chunk is delivered whole, so it stays well below the batch size. */
  chunkLines: number
}

function sealedChunk(klass: PointClass, chunk: OpenChunk): NewChunk {
  return { klass, lines: chunk.bytes.lines, content: chunk.bytes.bytes(), firstAt: chunk.firstAt }
}

/**
 * Collects written lines for a few ms and stores them in one commit (one fsync for many points).
 * `whenCommitted` callbacks run, in write order, once the commit holding every line written before
 * them is durable: the MQTT ingest holds a QoS 1 PUBACK on it.
 */
export class GroupCommit {
  private readonly open = new Map<PointClass, OpenChunk>()
  private sealed: NewChunk[] = []
  private waiting: (() => void)[] = []
  private readonly committing: CommitGroup[] = []
  private timer: unknown = null
  /** When the armed timer fires (clock time), and the window it was armed with. */
  private timerDue = 0
  private timerMs = 0
  private lastCommit: Promise<void> = Promise.resolve()
  /** Lines and approximate bytes written and not yet in a commit. */
  pendingLines = 0
  pendingBytes = 0
  oldestPendingAt = 0
  /** Lines and approximate bytes in commits that have not finished yet. */
  committingLines = 0
  committingBytes = 0

  constructor(
    private readonly options: GroupCommitOptions,
    private readonly store: (chunks: NewChunk[]) => Promise<ChunkMeta[]>,
    private readonly committed: (metas: ChunkMeta[]) => void,
    /** A commit failed: its lines (counted here; the lines themselves are not kept for this) were not accepted. */
    private readonly failed: (err: Error, lines: number) => void,
    private readonly clock: Clock = systemClock,
  ) {}

  add(line: string, klass: PointClass): void {
    let chunk = this.open.get(klass)
    if (!chunk) {
      chunk = { bytes: new ChunkBytes(), firstAt: this.clock.now() }
      this.open.set(klass, chunk)
      if (this.pendingLines === 0) this.oldestPendingAt = chunk.firstAt
    }
    chunk.bytes.add(line)
    this.pendingLines++
    this.pendingBytes += line.length + 1
    if (chunk.bytes.lines >= this.options.chunkLines) {
      this.sealed.push(sealedChunk(klass, chunk))
      this.open.delete(klass)
    }
    this.commitWithin(klass === 'telemetry' ? this.unackedIntervalMs : this.options.commitIntervalMs)
  }

  private get unackedIntervalMs(): number {
    return this.options.unackedCommitIntervalMs ?? this.options.commitIntervalMs
  }

  /** Arms the commit timer to fire within `ms`; an earlier one already armed stays. */
  private commitWithin(ms: number): void {
    // Per line: an armed timer of this window or a shorter one fires first anyway (no clock read).
    if (this.timer !== null && ms >= this.timerMs) return
    const due = this.clock.now() + ms
    if (this.timer !== null) {
      if (this.timerDue <= due) return
      this.clock.clearTimeout(this.timer)
    }
    this.timerDue = due
    this.timerMs = ms
    this.timer = this.clock.setTimeout(() => void this.commit(), ms)
  }

  whenCommitted(callback: () => void): void {
    if (this.pendingLines > 0) {
      this.waiting.push(callback)
      // Someone waits (a PUBACK): what is pending goes out in the short window.
      this.commitWithin(this.options.commitIntervalMs)
    } else {
      const last = this.committing[this.committing.length - 1]
      if (last) last.callbacks.push(callback)
      else callback()
    }
  }

  /** Commits what is pending now; resolves when it (and every earlier commit) is durable. */
  commit(): Promise<void> {
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer)
      this.timer = null
    }
    for (const [klass, chunk] of this.open) this.sealed.push(sealedChunk(klass, chunk))
    this.open.clear()
    if (this.sealed.length === 0) return this.lastCommit
    const chunks = this.sealed
    const group: CommitGroup = {
      callbacks: this.waiting,
      done: false,
      lines: this.pendingLines,
      bytes: this.pendingBytes,
      oldestAt: this.oldestPendingAt,
    }
    this.sealed = []
    this.waiting = []
    this.committingLines += group.lines
    this.committingBytes += group.bytes
    this.pendingLines = 0
    this.pendingBytes = 0
    this.committing.push(group)
    this.lastCommit = this.store(chunks).then(
      (metas) => {
        this.committed(metas)
        this.settle(group)
      },
      (err: unknown) => {
        // Not accepted: the callbacks never run, so QoS 1 publishers get no PUBACK and send again.
        group.callbacks = []
        this.failed(err as Error, group.lines)
        this.settle(group)
      },
    )
    return this.lastCommit
  }

  /** Runs callbacks in commit order even if a later commit's promise settles first. */
  private settle(group: CommitGroup): void {
    group.done = true
    this.committingLines -= group.lines
    this.committingBytes -= group.bytes
    while (this.committing[0]?.done) {
      const g = this.committing.shift() as CommitGroup
      for (const cb of g.callbacks) cb()
    }
  }

  /** When the oldest line not yet stored was written; null when every line is stored. */
  oldestUnstoredAt(): number | null {
    const committing = this.committing.find((g) => !g.done && g.lines > 0)
    if (committing) return committing.oldestAt
    return this.pendingLines > 0 ? this.oldestPendingAt : null
  }

  stop(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer)
    this.timer = null
  }
}
