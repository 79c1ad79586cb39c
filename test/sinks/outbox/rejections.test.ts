import { afterAll, describe, expect, inject, it } from 'vitest'
import { useCleanup } from '../../helpers/cleanup.js'
import { uniqueDatabase } from '../../helpers/gateway.js'
import { startInfluxStub } from './helpers/influx-stub.js'
import { makeOutbox, removeTempDirs, tempDir } from './helpers/make-outbox.js'

afterAll(removeTempDirs)

const cleanup = useCleanup()

const T0 = 1_700_000_000_000

describe('InfluxDB answers that are not 2xx (real influxd)', () => {
  it('a batch with malformed points: the others land, each bad one is a dead letter with InfluxDB’s reason', async () => {
    const database = uniqueDatabase()
    const { sink, client, deadLetters } = makeOutbox({
      target: { url: inject('influxUrl'), database },
      store: tempDir(),
      options: { batchSize: 200 },
    })
    await sink.start()
    cleanup.push(() => sink.close(1000))
    // temperature is a float field; three points send it as a string (a field type conflict),
    // one line is not line protocol at all.
    const bad = new Set([17, 90, 91, 150])
    const lines: string[] = []
    for (let i = 0; i < 200; i++) {
      const value = bad.has(i) ? (i === 150 ? 'oops' : `"hot"`) : String(i)
      lines.push(
        i === 150
          ? `climate,device=d${i % 3} ${value}`
          : `climate,device=d${i % 3} temperature=${value} ${T0 + i}`,
      )
    }
    // One first good point fixes the field type before the batch arrives.
    sink.write(`climate,device=d0 temperature=0.5 ${T0 - 1}`, 'telemetry')
    await sink.flush(5000)
    for (const l of lines) sink.write(l, 'telemetry')
    await sink.flush(10_000)

    const res = await client.query('SELECT count(temperature) FROM climate')
    expect(res.results[0]?.series?.[0]?.values?.[0]?.[1]).toBe(200 - bad.size + 1)
    expect(deadLetters.map((d) => d.payload).sort()).toEqual([...bad].map((i) => lines[i]).sort())
    for (const d of deadLetters) {
      expect(d.reason).toBe('influx_rejected')
      expect(d.topic).toBe('influx/climate')
      expect(d.errors[0]).toMatch(/^HTTP 400: /)
    }
    const conflict = deadLetters.find((d) => d.payload === lines[17])
    expect(conflict?.errors[0]).toContain('field type conflict')
    expect(conflict?.device).toBe('d2')
    expect(deadLetters.find((d) => d.payload === lines[150])?.errors[0]).toContain('unable to parse')
    expect(sink.stats()).toMatchObject({ pendingPoints: 0, dropped: { influx_rejected: 4 } })
  })

  it('a part InfluxDB refused entirely (dropped=N for all N lines) is dead-lettered without bisecting', async () => {
    const database = uniqueDatabase()
    const stub = await startInfluxStub(() => 'proxy', inject('influxUrl'))
    cleanup.push(() => stub.stop())
    const { sink, deadLetters } = makeOutbox({
      target: { url: stub.url, database },
      store: tempDir(),
      options: { batchSize: 64 },
    })
    await sink.start()
    cleanup.push(() => sink.close(1000))
    sink.write(`climate,device=d0 temperature=0.5 ${T0}`, 'telemetry')
    await sink.flush(5000)
    for (let i = 1; i <= 40; i++) sink.write(`climate,device=d${i} temperature="hot" ${T0 + i}`, 'telemetry')
    await sink.flush(5000)
    expect(stub.writes).toHaveLength(2)
    expect(deadLetters).toHaveLength(40)
    expect(deadLetters[0]?.errors[0]).toMatch(/field type conflict.*dropped=40$/)
    expect(sink.stats()).toMatchObject({ pendingPoints: 0, delivered: 1, dropped: { influx_rejected: 40 } })
  })

  it('429 and 503 with Retry-After: the next try waits as long as InfluxDB asked', async () => {
    const database = uniqueDatabase()
    const stub = await startInfluxStub(
      (_req, i) =>
        i === 0
          ? { status: 429, headers: { 'retry-after': '1' }, body: '{"error":"too many requests"}' }
          : i === 1
            ? { status: 503, headers: { 'retry-after': '1' }, body: '{"error":"busy"}' }
            : 'proxy',
      inject('influxUrl'),
    )
    cleanup.push(() => stub.stop())
    const { sink, client } = makeOutbox({
      // A backoff of a few ms would retry far sooner than Retry-After.
      target: { url: stub.url, database },
      store: tempDir(),
      options: { retryBaseMs: 10, retryCapMs: 20, flushIntervalMs: 10 },
    })
    await sink.start()
    cleanup.push(() => sink.close(1000))
    for (let i = 0; i < 10; i++) sink.write(`climate,device=d1 temperature=${i} ${T0 + i}`, 'telemetry')
    const until = Date.now() + 8000
    while (sink.stats().delivered < 10 && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
    expect(stub.writes).toHaveLength(3)
    const [first, second, third] = stub.writes.map((w) => w.at)
    expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(990)
    expect((third ?? 0) - (second ?? 0)).toBeGreaterThanOrEqual(990)
    expect(sink.stats()).toMatchObject({ delivered: 10, retried: 2, lastError: 'HTTP 503: busy' })
    const res = await client.query('SELECT count(temperature) FROM climate')
    // queried through the stub, which passes queries on to influxd
    expect(res.results[0]?.series?.[0]?.values?.[0]?.[1]).toBe(10)
  })
})
