import { afterAll, describe, expect, inject, it } from 'vitest'
import { LmdbChunkStore } from '../../../src/store/lmdb-chunk-store.js'
import { useCleanup } from '../../helpers/cleanup.js'
import { freePort } from '../../helpers/free-port.js'
import { uniqueDatabase } from '../../helpers/gateway.js'
import { makeOutbox, removeTempDirs, tempDir, waitFor } from './helpers/make-outbox.js'

afterAll(removeTempDirs)

const cleanup = useCleanup()

const T0 = 1_700_000_000_000

describe('outbox retention across restarts and when full', () => {
  it('keeps what it could not deliver at close and drains it on the next start', async () => {
    const dir = tempDir()
    const database = uniqueDatabase()
    // First run: InfluxDB is not there (nothing listens on the port).
    const down = makeOutbox({ target: { url: `http://127.0.0.1:${await freePort()}`, database }, store: dir })
    await down.sink.start()
    for (let i = 0; i < 300; i++) down.sink.write(`climate,device=r1 temperature=${i} ${T0 + i}`, 'telemetry')
    const accepted = new Promise<void>((r) => down.sink.whenAccepted(r))
    await accepted
    await down.sink.close(300) // the shutdown deadline passes with the points still pending
    expect(down.sink.stats()).toMatchObject({ pendingPoints: 300, delivered: 0, reachable: false })

    const up = makeOutbox({ target: { url: inject('influxUrl'), database }, store: dir })
    await up.sink.start()
    cleanup.push(() => up.sink.close(1000))
    expect(up.sink.stats().pendingPoints).toBe(300)
    await waitFor(() => up.sink.stats().pendingPoints === 0, 5000, 'drained')
    const res = await up.client.query('SELECT temperature FROM climate')
    expect(res.results[0]?.series?.[0]?.values?.map((r) => r[1])).toEqual(
      Array.from({ length: 300 }, (_, i) => i),
    )
  })

  it('when full, telemetry goes before alerts, oldest first, each counted', async () => {
    const url = `http://127.0.0.1:${await freePort()}` // InfluxDB away the whole test
    const dir = tempDir()
    const { sink } = makeOutbox({
      target: { url },
      store: dir,
      options: {
        maxBytes: 2000,
        batchSize: 8,
        retryBaseMs: 10_000,
        retryCapMs: 10_000,
        createDatabase: false,
      },
    })
    await sink.start()
    const alert = (i: number) => `alerts,rule=hot state="firing" ${T0 + i}`
    const tele = (i: number) => `climate,device=f1 temperature=${i} ${T0 + i}`
    // ~40 bytes a line: 10 alerts, then 100 telemetry lines in commits of 10.
    for (let i = 0; i < 10; i++) sink.write(alert(i), 'alert')
    await new Promise<void>((r) => sink.whenAccepted(r))
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 10; i++) sink.write(tele(round * 10 + i), 'telemetry')
      await new Promise<void>((r) => sink.whenAccepted(r))
    }
    const stats = sink.stats()
    expect(stats.pendingBytes).toBeLessThanOrEqual(2000)
    expect(stats.pendingBytes).toBeGreaterThan(1500)
    expect(stats.dropped).toEqual({ buffer_full: 110 - stats.pendingPoints })
    await sink.close(50)

    const store = new LmdbChunkStore(dir)
    expect((await store.open()).lines).toBe(stats.pendingPoints)
    const left = store.readFrom(0, 1e9, () => false).flatMap((c) => c.content.toString().split('\n'))
    await store.close()
    const keptTelemetry = left.filter((l) => l.startsWith('climate'))
    expect(left.filter((l) => l.startsWith('alerts'))).toEqual(Array.from({ length: 10 }, (_, i) => alert(i)))
    const k = keptTelemetry.length
    expect(keptTelemetry).toEqual(Array.from({ length: k }, (_, i) => tele(100 - k + i)))
  })
})
