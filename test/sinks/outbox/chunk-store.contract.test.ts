import { open } from 'lmdb'
import { afterAll, describe, expect, it } from 'vitest'
import { type ChunkStore, chunkOfLines } from '../../../src/store/chunk-store.js'
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
      chunkOfLines('telemetry', ['a 1', 'b 2'], 10),
      chunkOfLines('alert', ['ä 3'], 11),
      chunkOfLines('derived', ['c 4', 'd 5', 'e 6'], 12),
    ])
    expect(metas.map((m) => [m.klass, m.lines, m.bytes, m.firstAt])).toEqual([
      ['telemetry', 2, 7, 10],
      ['alert', 1, 4, 11], // bytes are UTF-8 bytes
      ['derived', 3, 11, 12],
    ])
    const [s1, s2, s3] = metas.map((m) => m.seq) as [number, number, number]
    expect(s1 < s2 && s2 < s3).toBe(true)
    expect(store.readFrom(s1, 3, () => false).map((c) => c.content.toString())).toEqual(['a 1\nb 2', 'ä 3'])
    expect(store.readFrom(s1, 100, (seq) => seq === s2).map((c) => c.seq)).toEqual([s1, s3])
    // A single chunk larger than maxLines is still read (never stuck).
    expect(store.readFrom(s3, 1, () => false).map((c) => c.lines)).toEqual([3])
    expect([...store.metas()].map((m) => m.seq)).toEqual([s1, s2, s3])
    await store.remove([metas[0]!, metas[2]!])
    expect([...store.metas()].map((m) => m.seq)).toEqual([s2])
    expect(store.readFrom(0, 100, () => false).map((c) => c.content.toString())).toEqual(['ä 3'])
    await store.close()
  })

  it('stores a chunk whose lines outgrow the first buffer, multi-byte characters included, byte for byte', async () => {
    const store = create()
    await store.open()
    const lines = Array.from(
      { length: 2000 },
      (_, i) => `climate,device=d-${i} température=${i}.5,note="°C→" ${i}`,
    )
    const [meta] = await store.append([chunkOfLines('telemetry', lines, 1)])
    const text = lines.join('\n')
    expect(meta).toMatchObject({ lines: 2000, bytes: Buffer.byteLength(text) })
    expect(store.readFrom(0, 5000, () => false).map((c) => c.content.toString())).toEqual([text])
    await store.close()
  })
})

describe('LmdbChunkStore durability', () => {
  it('a reopened store has what was appended and not removed, and continues the seq', async () => {
    const dir = tempDir()
    const a = new LmdbChunkStore(dir)
    await a.open()
    const metas = await a.append([
      chunkOfLines('telemetry', ['m v=1 1', 'm v=2 2'], 1),
      chunkOfLines('alert', ['alerts v=1 3'], 2),
    ])
    await a.remove([metas[0]!])
    await a.close()
    const b = new LmdbChunkStore(dir)
    expect(await b.open()).toEqual({ chunks: 1, lines: 1, bytes: 12 })
    expect(b.readFrom(0, 100, () => false).map((c) => ({ ...c, content: c.content.toString() }))).toEqual([
      { ...metas[1], content: 'alerts v=1 3' },
    ])
    const [next] = await b.append([chunkOfLines('telemetry', ['m v=3 4'], 3)])
    expect(next?.seq).toBeGreaterThan(metas[1]?.seq ?? 0)
    await b.close()
  })

  it('reads an outbox the previous version wrote with the string encoding, byte for byte', async () => {
    const dir = tempDir()
    const old = open<string, [number, number, number, number, number]>(dir, {
      encoding: 'string',
      compression: true,
      noMemInit: true,
    })
    const text = Array.from(
      { length: 50 },
      (_, i) => `climate,device=d${i} t=2${i % 10}.5,note="°C" ${i}`,
    ).join('\n')
    await old.put([7, 0, 50, Buffer.byteLength(text), 1234], text)
    await old.close()
    const store = new LmdbChunkStore(dir)
    expect(await store.open()).toEqual({ chunks: 1, lines: 50, bytes: Buffer.byteLength(text) })
    const [chunk] = store.readFrom(0, 100, () => false)
    expect(chunk?.content.toString('utf8')).toBe(text)
    expect(chunk).toMatchObject({ seq: 7, klass: 'telemetry', lines: 50, firstAt: 1234 })
    const [next] = await store.append([chunkOfLines('alert', ['a 1'], 2)])
    expect(next?.seq).toBe(8)
    await store.close()
  })
})
