import { mkdirSync } from 'node:fs'
import { open, type RootDatabase } from 'lmdb'
import {
  type Chunk,
  type ChunkMeta,
  type ChunkStore,
  classCode,
  classOf,
  type NewChunk,
  type StoreTotals,
} from './chunk-store.js'

/**
 * The chunk's metadata lives in its key, so the start-up scan, the drop policy and the stats read keys
 * only (a cursor walk over the B-tree), never the lines.
 */
type ChunkKey = [seq: number, klass: number, lines: number, bytes: number, firstAt: number]

function keyOf(m: ChunkMeta): ChunkKey {
  return [m.seq, classCode(m.klass), m.lines, m.bytes, m.firstAt]
}

function metaOf(k: ChunkKey): ChunkMeta {
  return { seq: k[0], klass: classOf(k[1]), lines: k[2], bytes: k[3], firstAt: k[4] }
}

/**
 * The durable outbox on LMDB (lmdb-js). Appends issued in one event turn are one transaction; append
 * resolves after `flushed`, i.e. after fsync, so an acknowledged chunk survives kill -9 and power loss.
 */
export class LmdbChunkStore implements ChunkStore {
  readonly durable = true
  private db: RootDatabase<Buffer, ChunkKey> | null = null
  private nextSeq = 1

  constructor(private readonly dir: string) {}

  private get database(): RootDatabase<Buffer, ChunkKey> {
    if (!this.db) throw new Error('outbox store is not open')
    return this.db
  }

  async open(): Promise<StoreTotals> {
    mkdirSync(this.dir, { recursive: true })
    this.db = open<Buffer, ChunkKey>(this.dir, {
      // Bytes in, bytes out: the lines are UTF-8 as the 'string' encoding of earlier versions stored them, so
      // an outbox written by one reads in the other. Read back as bytes, a batch never becomes a string
      // (chunk strings of ~100 KiB were promoted and joined into a large-object-space body).
      encoding: 'binary',
      // LZ4 on the write thread: line protocol shrinks ~4x, fewer bytes written to an SD card.
      compression: true,
      // Freed pages hold old telemetry only; skipping the zeroing is a cheap write win.
      noMemInit: true,
    })
    const totals: StoreTotals = { chunks: 0, lines: 0, bytes: 0 }
    for (const key of this.db.getKeys()) {
      totals.chunks++
      totals.lines += key[2]
      totals.bytes += key[3]
      this.nextSeq = key[0] + 1
    }
    return totals
  }

  append(chunks: NewChunk[]): Promise<ChunkMeta[]> {
    const { metas, puts } = this.putAll(chunks)
    // The chunks' content stays referenced by lmdb-js until its write thread has copied them, not until the fsync.
    return this.whenDurable(metas, puts)
  }

  private putAll(chunks: NewChunk[]): { metas: ChunkMeta[]; puts: Promise<boolean>[] } {
    const db = this.database
    const metas: ChunkMeta[] = []
    const puts: Promise<boolean>[] = []
    for (const c of chunks) {
      const meta: ChunkMeta = {
        seq: this.nextSeq++,
        klass: c.klass,
        lines: c.lines,
        bytes: c.content.length,
        firstAt: c.firstAt,
      }
      metas.push(meta)
      puts.push(db.put(keyOf(meta), c.content))
    }
    return { metas, puts }
  }

  private async whenDurable(metas: ChunkMeta[], puts: Promise<boolean>[]): Promise<ChunkMeta[]> {
    await Promise.all(puts)
    // overlappingSync: a put resolves when committed (visible); flushed waits for the fsync.
    await this.database.flushed
    return metas
  }

  readFrom(fromSeq: number, maxLines: number, skip: (seq: number) => boolean): Chunk[] {
    const out: Chunk[] = []
    let lines = 0
    for (const { key, value } of this.database.getRange({ start: [fromSeq] })) {
      if (skip(key[0])) continue
      if (out.length > 0 && lines + key[2] > maxLines) break
      out.push({ ...metaOf(key), content: value })
      lines += key[2]
    }
    return out
  }

  *metas(): Iterable<ChunkMeta> {
    for (const key of this.database.getKeys()) yield metaOf(key)
  }

  async remove(chunks: readonly ChunkMeta[]): Promise<void> {
    const db = this.database
    await Promise.all(chunks.map((c) => db.remove(keyOf(c))))
  }

  async close(): Promise<void> {
    const db = this.db
    this.db = null
    if (db) {
      await db.flushed
      await db.close()
    }
  }
}
