import type { Chunk, ChunkMeta, ChunkStore, NewChunk, StoreTotals } from './chunk-store.js'

/** Chunks in a Map (insertion order is seq order). Not durable: a crash loses them. The bench baseline. */
export class MemoryChunkStore implements ChunkStore {
  readonly durable = false
  private readonly chunks = new Map<number, Chunk>()
  private nextSeq = 1

  async open(): Promise<StoreTotals> {
    return { chunks: 0, lines: 0, bytes: 0 }
  }

  async append(chunks: NewChunk[]): Promise<ChunkMeta[]> {
    return chunks.map((c) => {
      const chunk: Chunk = {
        seq: this.nextSeq++,
        klass: c.klass,
        lines: c.lines,
        bytes: c.content.length,
        firstAt: c.firstAt,
        content: c.content,
      }
      this.chunks.set(chunk.seq, chunk)
      return chunk
    })
  }

  readFrom(fromSeq: number, maxLines: number, skip: (seq: number) => boolean): Chunk[] {
    const out: Chunk[] = []
    let lines = 0
    // Entries below fromSeq are only the few in flight, so scanning from the start stays cheap.
    for (const chunk of this.chunks.values()) {
      if (chunk.seq < fromSeq || skip(chunk.seq)) continue
      if (out.length > 0 && lines + chunk.lines > maxLines) break
      out.push(chunk)
      lines += chunk.lines
    }
    return out
  }

  metas(): Iterable<ChunkMeta> {
    return this.chunks.values()
  }

  async remove(chunks: readonly ChunkMeta[]): Promise<void> {
    for (const c of chunks) this.chunks.delete(c.seq)
  }

  async close(): Promise<void> {}
}
