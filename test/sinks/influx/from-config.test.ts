import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { configFromObject } from '../../../src/config/load.js'
import { createLogger } from '../../../src/observability/logger.js'
import { createPointSink, influxClientFrom } from '../../../src/sinks/influx/from-config.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const until = Date.now() + 5000
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('the InfluxDB outbox built from config', () => {
  it('uses influx.buffer.unackedCommitInterval for telemetry and commitInterval for alerts (durable LMDB store)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidegate-sink-config-'))
    dirs.push(dir)
    // Delivery is beside the point here: nothing listens on the discard port, the points stay queued.
    const { influx } = configFromObject({
      influx: { url: 'http://127.0.0.1:9', buffer: { commitInterval: '5ms', unackedCommitInterval: '1h' } },
    })
    const sink = createPointSink(
      influx,
      dir,
      influxClientFrom(influx),
      createLogger('silent', false),
      () => {},
    )
    await sink.start()
    try {
      sink.write('climate,device=d1 temperature=21 1', 'telemetry')
      await new Promise((r) => setTimeout(r, 150))
      expect(sink.stats().accepted).toBe(0) // a QoS 0 reading waits for its (hour-long) window
      sink.write('alerts,rule=hot state="firing" 2', 'alert')
      await waitFor(() => sink.stats().accepted === 2, 'the alert commit (taking the reading along)')
    } finally {
      await sink.close(0)
    }
  })
})
