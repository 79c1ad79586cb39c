import { afterAll, describe, expect, inject, it } from 'vitest'
import { createLogger } from '../../src/observability/logger.js'
import { InfluxHttpClient } from '../../src/sinks/influx/http-client.js'
import { InfluxOutput } from '../../src/sinks/influx/output.js'
import type { OutputBatch, OutputPlugin, RejectedItem } from '../../src/sinks/outbox/output.js'
import { UpstreamConnection } from '../../src/sinks/upstream/connection.js'
import { encodeMessage } from '../../src/sinks/upstream/message-item.js'
import { UpstreamOutput } from '../../src/sinks/upstream/output.js'
import { useCleanup } from '../helpers/cleanup.js'
import { freePort } from '../helpers/free-port.js'
import { uniqueDatabase } from '../helpers/gateway.js'
import { startMosquitto } from '../helpers/mosquitto.js'
import { connectClient } from '../helpers/mqtt.js'

const cleanup = useCleanup()
const logger = createLogger('silent', false)
const disposers: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const d of disposers.splice(0)) await d()
})

/** One output plugin under test: a destination that is up (with a way to read it back) or down. */
interface Subject {
  plugin: OutputPlugin
  /** The batch's i-th item in the plugin's format. */
  item(i: number): string
  /** An item the destination refuses for good. */
  bad: string
  /** What the destination holds, as the i of each item, in its order. */
  readBack(): Promise<number[]>
}

const t0 = Date.now() - 3_600_000

const implementations: [string, (up: boolean) => Promise<Subject>][] = [
  [
    'influx',
    async (up) => {
      const database = uniqueDatabase()
      const url = up ? inject('influxUrl') : `http://127.0.0.1:${await freePort()}`
      const client = new InfluxHttpClient({ url, database, timeoutMs: 5000 })
      return {
        plugin: new InfluxOutput(client, { createDatabase: true, authRetryMs: 60_000 }, logger),
        item: (i) => `contract,k=v value=${i} ${t0 + i}`,
        bad: 'contract,k=v value= not line protocol',
        async readBack() {
          const res = await client.query('SELECT value FROM contract')
          return (res.results[0]?.series?.[0]?.values ?? []).map((r) => r[1] as number)
        },
      }
    },
  ],
  [
    'upstream',
    async (up) => {
      const broker = await startMosquitto()
      disposers.push(() => broker.dispose())
      const got: number[] = []
      if (up) {
        const collector = await connectClient(broker.url)
        cleanup.push(() => collector.endAsync())
        collector.on('message', (_t, payload) => got.push(Number(payload.toString())))
        await collector.subscribeAsync('c/contract/t', { qos: 1 })
      } else await broker.stop()
      const connection = new UpstreamConnection(
        {
          url: broker.url,
          clientId: `contract-${Date.now()}`,
          protocolVersion: 4,
          prefix: 'c',
          subscriptions: [],
        },
        logger,
      )
      return {
        plugin: new UpstreamOutput(connection, 'c'),
        item: (i) => encodeMessage({ topic: 'contract/t', payload: Buffer.from(String(i)), retain: false }),
        bad: 'not a stored message',
        readBack: async () => got,
      }
    },
  ],
]

function batchOf(items: string[], signal = new AbortController().signal): OutputBatch {
  const text = items.join('\n')
  return { body: Buffer.from(text), text, count: items.length, items: () => items, signal }
}

describe.each(implementations)('OutputPlugin contract: %s', (_name, create) => {
  it('connects, delivers a batch whole and in order, closes', async () => {
    const s = await create(true)
    await s.plugin.connect()
    cleanup.push(() => s.plugin.close())
    await expect.poll(() => s.plugin.status().reachable).toBe(true)
    const items = Array.from({ length: 50 }, (_, i) => s.item(i))
    expect(await s.plugin.write(batchOf(items))).toEqual({ kind: 'delivered' })
    await expect.poll(() => s.readBack()).toEqual(Array.from({ length: 50 }, (_, i) => i))
    expect(s.plugin.status()).toEqual({ reachable: true, authFailed: false })
  })

  it('an item the destination refuses is rejected alone, with its reason; the others land in order', async () => {
    const s = await create(true)
    await s.plugin.connect()
    cleanup.push(() => s.plugin.close())
    await expect.poll(() => s.plugin.status().reachable).toBe(true)
    const items = [s.item(0), s.item(1), s.bad, s.item(3)]
    const outcome = await s.plugin.write(batchOf(items))
    expect(outcome).toEqual({
      kind: 'rejected',
      items: [{ index: 2, reason: expect.stringMatching(/_rejected$/), detail: expect.any(String) }],
    })
    await expect.poll(() => s.readBack()).toEqual([0, 1, 3])
    if (outcome.kind !== 'rejected') return
    const rejection = outcome.items[0] as RejectedItem
    expect(s.plugin.deadLetter(s.bad, rejection, 1)).toMatchObject({
      payload: s.bad,
      reason: rejection.reason,
      at: 1,
    })
  })

  it('a destination that is down: connect does not throw, write says retryAfter, status says unreachable', async () => {
    const s = await create(false)
    await s.plugin.connect()
    cleanup.push(() => s.plugin.close())
    const outcome = await s.plugin.write(batchOf([s.item(0), s.item(1)]))
    expect(outcome).toMatchObject({ kind: 'retryAfter', error: expect.any(String) })
    if (outcome.kind === 'retryAfter') expect(outcome.settled ?? []).toEqual([])
    expect(s.plugin.status().reachable).toBe(false)
  })
})
