import { afterAll, describe, expect, it } from 'vitest'
import { useCleanup } from '../../helpers/cleanup.js'
import { ManualClock } from '../../helpers/manual-clock.js'
import { startInfluxStub } from './helpers/influx-stub.js'
import { makeOutbox, removeTempDirs, sleep, tempDir, waitFor } from './helpers/make-outbox.js'

afterAll(removeTempDirs)

const cleanup = useCleanup()

/** Waits real time while setTimeout is faked (setImmediate and performance.now are not). */
async function realPause(ms: number): Promise<void> {
  const until = performance.now() + ms
  while (performance.now() < until) await new Promise((r) => setImmediate(r))
}

const line = (i: number) => `climate,device=d1 temperature=${i} ${1_700_000_000_000 + i}`

/** The same delivery runs over both stores: the LMDB outbox and the in-memory buffer. */
const stores: [string, () => string][] = [
  ['lmdb', () => tempDir()],
  ['memory', () => 'memory'],
]

describe.each(stores)('outbox batching and request shape (HTTP stub, %s store)', (_name, store) => {
  it('sends a batch as soon as batchSize lines are pending, not before', async () => {
    const stub = await startInfluxStub(() => ({ status: 204 }))
    cleanup.push(() => stub.stop())
    const { sink } = makeOutbox({
      target: { url: stub.url },
      store: store(),
      options: { batchSize: 10, flushIntervalMs: 60_000 },
    })
    await sink.start()
    cleanup.push(() => sink.close(1000))
    for (let i = 0; i < 25; i++) sink.write(line(i), 'telemetry')
    await waitFor(() => stub.writes.length === 2, 3000, 'two full batches')
    await sleep(200)
    expect(stub.writes.map((w) => w.body.split('\n').length)).toEqual([10, 10])
    expect(sink.stats().pendingPoints).toBe(5)
    await sink.flush(2000)
    expect(stub.lines()).toEqual(Array.from({ length: 25 }, (_, i) => line(i)))
  })

  it('sends a partial batch once the oldest line waited flushInterval (manual clock)', async () => {
    const stub = await startInfluxStub(() => ({ status: 204 }))
    cleanup.push(() => stub.stop())
    const clock = new ManualClock()
    const { sink } = makeOutbox({
      target: { url: stub.url },
      store: store(),
      options: { batchSize: 1000, flushIntervalMs: 400, createDatabase: false },
      clock,
    })
    await sink.start()
    cleanup.push(() => sink.close(1000))
    for (let i = 0; i < 3; i++) sink.write(line(i), 'telemetry')
    await clock.advanceSettled(5) // the group commit starts...
    await new Promise<void>((r) => sink.whenAccepted(r)) // ...and lands (real disk time)
    await clock.advanceSettled(394)
    expect(sink.stats()).toMatchObject({ pendingPoints: 3, oldestPendingAgeMs: 399 })
    await realPause(150) // a request started by now would reach the stub in this (real) time
    expect(stub.writes).toHaveLength(0)
    await clock.advanceSettled(1)
    await waitFor(() => stub.writes.length === 1, 3000, 'the timed batch')
    expect(stub.writes[0]?.body).toBe([0, 1, 2].map(line).join('\n'))
  })

  it('backs off exponentially (with jitter, within the cap) while InfluxDB fails (manual clock)', async () => {
    const stub = await startInfluxStub(() => ({ status: 500, body: '{"error":"engine down"}' }))
    cleanup.push(() => stub.stop())
    const clock = new ManualClock()
    const { sink } = makeOutbox({
      target: { url: stub.url },
      store: store(),
      options: { batchSize: 1, flushIntervalMs: 0, createDatabase: false, retryBaseMs: 100, retryCapMs: 800 },
      clock,
    })
    await sink.start()
    cleanup.push(() => sink.close(0))
    sink.write(line(0), 'telemetry')
    await clock.advanceSettled(5) // the group commit
    await waitFor(() => stub.writes.length === 1, 3000, 'first try')
    // The n-th retry waits between 100 ms and min(800, 100 * 2^n) ms.
    const waits: number[] = []
    for (let n = 1; n <= 5; n++) {
      await waitFor(() => sink.stats().retried === n, 3000, `retry ${n} scheduled`)
      const before = clock.now()
      const fired = clock.fired
      // 10 ms steps until the backoff timer fires (the only timer left), then the retry reaches the stub.
      while (clock.fired === fired) {
        if (clock.now() - before > 2000) throw new Error('no retry')
        await clock.advanceSettled(10)
      }
      waits.push(clock.now() - before)
      await waitFor(() => stub.writes.length === n + 1, 3000, `retry ${n}`)
    }
    for (const [i, w] of waits.entries()) {
      expect(w).toBeGreaterThanOrEqual(100)
      expect(w).toBeLessThanOrEqual(Math.min(800, 100 * 2 ** i) + 10)
    }
    expect(sink.stats()).toMatchObject({
      delivered: 0,
      pendingPoints: 1,
      lastError: 'HTTP 500: engine down',
    })
  })

  it('v1 request: /write with db, rp, u, p, precision=ms, gzip', async () => {
    const stub = await startInfluxStub(() => ({ status: 204 }))
    cleanup.push(() => stub.stop())
    const { sink } = makeOutbox({
      target: {
        url: stub.url,
        database: 'site',
        retentionPolicy: 'week',
        username: 'gw',
        password: 's3cret',
      },
      store: store(),
      options: { createDatabase: false },
    })
    await sink.start()
    cleanup.push(() => sink.close(1000))
    sink.write(line(1), 'telemetry')
    await sink.flush(2000)
    const w = stub.writes[0]
    expect(w?.path).toBe('/write')
    expect(Object.fromEntries(w?.query ?? [])).toEqual({
      db: 'site',
      rp: 'week',
      u: 'gw',
      p: 's3cret',
      precision: 'ms',
    })
    expect(w?.headers['content-encoding']).toBe('gzip')
    expect(w?.headers.authorization).toBeUndefined()
    expect(w?.body).toBe(line(1))
  })

  it('v2 request: /api/v2/write with org, bucket, precision=ms and a Token header', async () => {
    const stub = await startInfluxStub(() => ({ status: 204 }))
    cleanup.push(() => stub.stop())
    const { sink } = makeOutbox({
      target: { url: stub.url, api: 'v2', org: 'acme', bucket: 'edge/raw', token: 'tok-123' },
      store: store(),
      options: { createDatabase: true },
    })
    await sink.start()
    cleanup.push(() => sink.close(1000))
    sink.write(line(1), 'telemetry')
    sink.write(line(2), 'alert')
    await sink.flush(2000)
    expect(stub.writes).toHaveLength(1)
    const w = stub.writes[0]
    expect(w?.method).toBe('POST')
    expect(w?.path).toBe('/api/v2/write')
    expect(Object.fromEntries(w?.query ?? [])).toEqual({ org: 'acme', bucket: 'edge/raw', precision: 'ms' })
    expect(w?.headers.authorization).toBe('Token tok-123')
    expect(w?.headers['content-encoding']).toBe('gzip')
    expect(w?.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(w?.body.split('\n').sort()).toEqual([line(1), line(2)].sort())
  })

  it('413 splits the batch until the parts fit', async () => {
    const stub = await startInfluxStub((req) =>
      req.body.split('\n').length > 4
        ? { status: 413, body: '{"error":"Request Entity Too Large"}' }
        : { status: 204 },
    )
    cleanup.push(() => stub.stop())
    const { sink, deadLetters } = makeOutbox({
      target: { url: stub.url },
      store: store(),
      options: { batchSize: 16 },
    })
    await sink.start()
    cleanup.push(() => sink.close(1000))
    for (let i = 0; i < 16; i++) sink.write(line(i), 'telemetry')
    await sink.flush(3000)
    const accepted = stub.writes
      .filter((w) => w.body.split('\n').length <= 4)
      .flatMap((w) => w.body.split('\n'))
    expect(accepted).toEqual(Array.from({ length: 16 }, (_, i) => line(i)))
    expect(deadLetters).toHaveLength(0)
    expect(sink.stats()).toMatchObject({ delivered: 16, pendingPoints: 0 })
  })

  it('401 pauses delivery, reports it, and keeps every point', async () => {
    const stub = await startInfluxStub(() => ({ status: 401, body: '{"error":"authorization failed"}' }))
    cleanup.push(() => stub.stop())
    const { sink, deadLetters } = makeOutbox({
      target: { url: stub.url },
      store: store(),
      options: { flushIntervalMs: 20 },
    })
    await sink.start()
    cleanup.push(() => sink.close(100))
    for (let i = 0; i < 5; i++) sink.write(line(i), 'telemetry')
    await waitFor(() => sink.stats().authFailed, 3000, 'auth failure')
    await sleep(300)
    // Paused: no hammering with bad credentials (the next try is authRetryMs away).
    expect(stub.writes).toHaveLength(1)
    expect(sink.stats()).toMatchObject({
      authFailed: true,
      pendingPoints: 5,
      delivered: 0,
      lastError: 'HTTP 401: authorization failed',
    })
    expect(deadLetters).toHaveLength(0)
  })
})
