import { afterEach, describe, expect, it, vi } from 'vitest'
import { configFromObject } from '../../../src/config/load.js'
import type { SerialPortConfig } from '../../../src/ingest/serial/config-schema.js'
import { SerialConnection } from '../../../src/ingest/serial/port-connection.js'
import { emptyStats } from '../../../src/ingest/serial/port-stats.js'
import { createLogger } from '../../../src/observability/logger.js'

afterEach(() => {
  vi.useRealTimers()
})

describe('reopen backoff (virtual time)', () => {
  it('retries a missing port after initial, doubling up to max, and stops retrying on stop()', async () => {
    vi.useFakeTimers()
    const config = configFromObject({
      serial: [
        {
          match: { vendorId: '0403' },
          device: { id: 'a' },
          type: 'climate-sensor',
          reconnect: { initial: '100ms', max: '800ms' },
        },
      ],
    }).serial[0] as SerialPortConfig
    const attempts: number[] = []
    const stats = emptyStats('usb', 'climate-sensor')
    const connection = new SerialConnection(
      config,
      { data: () => {}, opened: () => {}, lost: () => {} },
      {
        logger: createLogger('silent', false),
        stats,
        // Listing fails as it does without udevadm: a retried error, not a crash.
        listPorts: async () => {
          attempts.push(Date.now())
          throw new Error('udevadm: not found')
        },
      },
    )
    const t0 = Date.now()
    await connection.start()
    await vi.advanceTimersByTimeAsync(100 + 200 + 400 + 800 + 800)
    expect(attempts.map((t) => t - t0)).toEqual([0, 100, 300, 700, 1500, 2300])
    expect(stats).toMatchObject({
      openFailures: 6,
      open: false,
      lastError: 'cannot list serial ports: udevadm: not found',
    })
    await connection.stop()
    await vi.advanceTimersByTimeAsync(10_000)
    expect(attempts).toHaveLength(6)
  })
})
