import { describe, expect, it } from 'vitest'
import { GroupCommit } from '../../../src/sinks/outbox/group-commit.js'
import type { ChunkMeta, NewChunk } from '../../../src/store/chunk-store.js'
import { ManualClock } from '../../helpers/manual-clock.js'

interface ChunkOfLines {
  klass: NewChunk['klass']
  lines: string[]
  firstAt: number
}

/** A store whose commits finish when the test says so (the disk's fsync, by hand); it reads each chunk's bytes back into lines. */
function handStore() {
  const commits: { chunks: ChunkOfLines[]; finish: () => void; fail: (e: Error) => void }[] = []
  let seq = 1
  const append = (chunks: NewChunk[]) =>
    new Promise<ChunkMeta[]>((resolve, reject) => {
      const metas = chunks.map((c) => ({
        seq: seq++,
        klass: c.klass,
        lines: c.lines,
        bytes: c.content.length,
        firstAt: c.firstAt,
      }))
      const read = chunks.map((c) => {
        const lines = c.content.toString('utf8').split('\n')
        expect(lines).toHaveLength(c.lines)
        return { klass: c.klass, lines, firstAt: c.firstAt }
      })
      commits.push({ chunks: read, finish: () => resolve(metas), fail: reject })
    })
  return { commits, append }
}

describe('group commit', () => {
  it('one commit per window; callbacks wait for the commit holding every line written before them, in order', async () => {
    const clock = new ManualClock()
    const store = handStore()
    const committed: ChunkMeta[][] = []
    const gc = new GroupCommit(
      { commitIntervalMs: 5, chunkLines: 100 },
      store.append,
      (m) => committed.push(m),
      () => {},
      clock,
    )
    const acks: string[] = []
    gc.add('a 1', 'telemetry')
    gc.add('b 2', 'alert')
    gc.whenCommitted(() => acks.push('after a,b'))
    await clock.advanceSettled(4)
    expect(store.commits).toHaveLength(0) // the window is still open
    await clock.advanceSettled(1)
    expect(store.commits).toHaveLength(1)
    expect(store.commits[0]?.chunks.map((c) => [c.klass, c.lines])).toEqual([
      ['telemetry', ['a 1']],
      ['alert', ['b 2']],
    ])
    gc.add('c 3', 'telemetry')
    gc.whenCommitted(() => acks.push('after c'))
    await clock.advanceSettled(5)
    expect(store.commits).toHaveLength(2) // the second commit overlaps the first
    store.commits[1]?.finish() // the later commit lands first...
    await clock.advanceSettled(0)
    expect(acks).toEqual([]) // ...but nothing is acknowledged before the earlier lines are durable
    store.commits[0]?.finish()
    await clock.advanceSettled(0)
    expect(acks).toEqual(['after a,b', 'after c'])
    expect(committed.flat().map((m) => m.lines)).toEqual([1, 1, 1])
    // Nothing pending: a callback runs at once.
    gc.whenCommitted(() => acks.push('idle'))
    expect(acks.at(-1)).toBe('idle')
  })

  it('seals a chunk at chunkLines; a failed commit acknowledges nothing and reports the lines', async () => {
    const clock = new ManualClock()
    const store = handStore()
    const failed: number[] = []
    const gc = new GroupCommit(
      { commitIntervalMs: 5, chunkLines: 3 },
      store.append,
      () => {},
      (_e, lines) => failed.push(lines),
      clock,
    )
    for (let i = 0; i < 7; i++) gc.add(`m v=${i} ${i}`, 'telemetry')
    let acked = false
    gc.whenCommitted(() => {
      acked = true
    })
    expect(gc.pendingLines).toBe(7)
    await clock.advanceSettled(5)
    expect(store.commits[0]?.chunks.map((c) => c.lines.length)).toEqual([3, 3, 1])
    store.commits[0]?.fail(new Error('disk full'))
    await clock.advanceSettled(0)
    expect(acked).toBe(false)
    expect(failed).toEqual([7])
  })

  it('telemetry nobody waits for gathers for unackedCommitInterval; a waiting PUBACK or an alert commits in commitInterval', async () => {
    const clock = new ManualClock()
    const store = handStore()
    const gc = new GroupCommit(
      { commitIntervalMs: 5, unackedCommitIntervalMs: 100, chunkLines: 1000 },
      store.append,
      () => {},
      () => {},
      clock,
    )
    // QoS 0 readings: one commit per 100 ms, not one per 5 ms.
    for (let ms = 0; ms < 100; ms += 1) {
      gc.add(`m v=${ms}`, 'telemetry')
      await clock.advanceSettled(1)
    }
    expect(store.commits.map((c) => c.chunks[0]?.lines.length)).toEqual([100])
    store.commits[0]?.finish()
    // A QoS 1 reading: its PUBACK waits, so what is pending commits within 5 ms.
    gc.add('m v=qos0', 'telemetry')
    await clock.advanceSettled(20)
    gc.add('m v=qos1', 'telemetry')
    let acked = false
    gc.whenCommitted(() => {
      acked = true
    })
    await clock.advanceSettled(5)
    expect(store.commits).toHaveLength(2)
    expect(store.commits[1]?.chunks[0]?.lines).toEqual(['m v=qos0', 'm v=qos1'])
    store.commits[1]?.finish()
    await clock.advanceSettled(0)
    expect(acked).toBe(true)
    // An alert does not wait 100 ms either.
    gc.add('m v=late', 'telemetry')
    await clock.advanceSettled(50)
    gc.add('alerts state="firing"', 'alert')
    await clock.advanceSettled(5)
    expect(store.commits).toHaveLength(3)
  })
})
