import { afterAll, describe, expect, it } from 'vitest'
import type { ChunkStore } from '../../../src/store/chunk-store.js'
import { LmdbChunkStore } from '../../../src/store/lmdb-chunk-store.js'
import { MemoryChunkStore } from '../../../src/store/memory-chunk-store.js'
import { removeTempDirs, tempDir } from './helpers/make-outbox.js'

afterAll(removeTempDirs)

/** One contract, every ChunkStore implementation. */
const implementations: [string, () => ChunkStore][] = [
  ['lmdb', () => new LmdbChunkStore(tempDir())],
  ['memory', () => new MemoryChunkStore()],
]

describe.each(implementations)('ChunkStore contract: %s', (_name, create) => {
  it('appends in seq order with exact metadata and reads back by seq, skipping and bounded by lines', async () => {
    const store = create()
    expect(await store.open()).toEqual({ chunks: 0, lines: 0, bytes: 0 })
    const metas = await store.append([
      { klass: 'telemetry', lines: ['a 1', 'b 2'], firstAt: 10 },
      { klass: 'alert', lines: ['ä 3'], firstAt: 11 },
      { klass: 'derived', lines: ['c 4', 'd 5', 'e 6'], firstAt: 12 },
    ])
    expect(metas.map((m) => [m.klass, m.lines, m.bytes, m.firstAt])).toEqual([
      ['telemetry', 2, 7, 10],
      ['alert', 1, 4, 11], // bytes are UTF-8 bytes
      ['derived', 3, 11, 12],
    ])
    const [s1, s2, s3] = metas.map((m) => m.seq) as [number, number, number]
    expect(s1 < s2 && s2 < s3).toBe(true)
    expect(store.readFrom(s1, 3, () => false).map((c) => c.text)).toEqual(['a 1\nb 2', 'ä 3'])
    expect(store.readFrom(s1, 100, (seq) => seq === s2).map((c) => c.seq)).toEqual([s1, s3])
    // A single chunk larger than maxLines is still read (never stuck).
    expect(store.readFrom(s3, 1, () => false).map((c) => c.lines)).toEqual([3])
    expect([...store.metas()].map((m) => m.seq)).toEqual([s1, s2, s3])
    await store.remove([metas[0]!, metas[2]!])
    expect([...store.metas()].map((m) => m.seq)).toEqual([s2])
    expect(store.readFrom(0, 100, () => false).map((c) => c.text)).toEqual(['ä 3'])
    await store.close()
  })
})

describe('LmdbChunkStore durability', () => {
  it('a reopened store has what was appended and not removed, and continues the seq', async () => {
    const dir = tempDir()
    const a = new LmdbChunkStore(dir)
    await a.open()
    const metas = await a.append([
      { klass: 'telemetry', lines: ['m v=1 1', 'm v=2 2'], firstAt: 1 },
      { klass: 'alert', lines: ['alerts v=1 3'], firstAt: 2 },
    ])
    await a.remove([metas[0]!])
    await a.close()
    const b = new LmdbChunkStore(dir)
    expect(await b.open()).toEqual({ chunks: 1, lines: 1, bytes: 12 })
    expect(b.readFrom(0, 100, () => false)).toEqual([{ ...metas[1], text: 'alerts v=1 3' }])
    const [next] = await b.append([{ klass: 'telemetry', lines: ['m v=3 4'], firstAt: 3 }])
    expect(next?.seq).toBeGreaterThan(metas[1]?.seq ?? 0)
    await b.close()
  })
})
