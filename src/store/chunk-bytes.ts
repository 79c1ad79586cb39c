const FIRST_CAPACITY = 16 * 1024

/**
 * The newline-joined UTF-8 bytes of a chunk's lines, written as each line arrives. Why bytes and not the
 * line strings: a telemetry chunk waits up to `unackedCommitInterval` (100 ms) for its commit, and at 10k
 * msg/s several young-generation collections run meanwhile, so every waiting string was copied by each of
 * them and then promoted to the old generation, where only a full collection frees it: ~360 B per message,
 * the largest source of full collections (docs/footprint.md). Bytes live outside the V8 heap and are never
 * copied by a collection; the line string dies young.
 *
 * A chunk's buffer is handed to the store whole and never reused: LMDB's write thread reads it after `put`
 * returns.
 */
export class ChunkBytes {
  private buffer: Buffer
  private used = 0
  /** Lines written so far. */
  lines = 0

  constructor(capacity = FIRST_CAPACITY) {
    this.buffer = Buffer.allocUnsafeSlow(capacity)
  }

  add(line: string): void {
    // A UTF-8 character takes at most 3 bytes per UTF-16 unit; +1 for the newline before it.
    const worst = line.length * 3 + 1
    if (this.used + worst > this.buffer.length) this.grow(this.used + worst)
    if (this.lines > 0) this.buffer[this.used++] = 0x0a
    this.used += this.buffer.write(line, this.used)
    this.lines++
  }

  /** Bytes written so far. */
  get byteLength(): number {
    return this.used
  }

  /** The bytes written, without a trailing newline. */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.used)
  }

  private grow(needed: number): void {
    const next = Buffer.allocUnsafeSlow(Math.max(needed, this.buffer.length * 2))
    this.buffer.copy(next, 0, 0, this.used)
    this.buffer = next
  }
}
