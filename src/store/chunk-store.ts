import type { PointClass } from '../sinks/sink.js'
import { ChunkBytes } from './chunk-bytes.js'

/**
 * The outbox keeps line protocol in chunks: the lines of one class written in one group commit.
 * A chunk is the unit of storage, delivery and dropping, so a commit is one put, not one per line.
 */
export interface ChunkMeta {
  /** Monotonic across restarts: the delivery order. */
  seq: number
  klass: PointClass
  lines: number
  /** UTF-8 bytes of the newline-joined lines. */
  bytes: number
  /** When the first line of the chunk was written (epoch ms): the outbox's oldest age. */
  firstAt: number
}

export interface Chunk extends ChunkMeta {
  /** The newline-joined lines, UTF-8, as stored: a batch is sent as bytes and never becomes one big string. */
  content: Buffer
}

/** A chunk to store: its lines already joined into UTF-8 bytes (see ChunkBytes for why). */
export interface NewChunk {
  klass: PointClass
  lines: number
  /** The newline-joined lines, UTF-8. The store owns it from here on: nobody writes to it again. */
  content: Buffer
  firstAt: number
}

/** A NewChunk from line strings (for a backlog built in one go: benches, tests). */
export function chunkOfLines(klass: PointClass, lines: readonly string[], firstAt: number): NewChunk {
  const bytes = new ChunkBytes()
  for (const line of lines) bytes.add(line)
  return { klass, lines: bytes.lines, content: bytes.bytes(), firstAt }
}

export interface StoreTotals {
  chunks: number
  lines: number
  bytes: number
}

/**
 * Where outbox chunks live. Two implementations share one contract (test/sinks/outbox/chunk-store.contract.test.ts):
 * LMDB on disk (durable) and a Map in memory (the non-durable baseline).
 */
export interface ChunkStore {
  readonly durable: boolean
  /** Opens (or creates) the store and reports what a previous run left. */
  open(): Promise<StoreTotals>
  /** Assigns seqs and stores the chunks; resolves once they survive a crash (for a durable store). */
  append(chunks: NewChunk[]): Promise<ChunkMeta[]>
  /** Chunks in seq order starting at `fromSeq`; `skip` leaves some out (in flight, being removed). */
  readFrom(fromSeq: number, maxLines: number, skip: (seq: number) => boolean): Chunk[]
  /** Metadata of every stored chunk, oldest first, without reading the lines. */
  metas(): Iterable<ChunkMeta>
  /** Removes chunks (delivered or dropped); resolves once the removal is committed. */
  remove(chunks: readonly ChunkMeta[]): Promise<void>
  close(): Promise<void>
}

const CLASS_CODES: readonly PointClass[] = ['telemetry', 'alert', 'derived']

export function classCode(klass: PointClass): number {
  return CLASS_CODES.indexOf(klass)
}

export function classOf(code: number): PointClass {
  return CLASS_CODES[code] ?? 'telemetry'
}
