/**
 * The upstream bridge's two figures (issue 16):
 *
 *   npm run bench:upstream                      # defaults: 100k-message backlog, 20k QoS 1 messages, 3 rounds
 *   npx tsx bench/upstream.ts --backlog 100000 --messages 20000 --window 500 --rounds 3
 *
 * 1. catch-up: --backlog forwarded messages (100 topics, ~80-byte JSON) sit in an upstream outbox as an
 *    outage leaves them; then the outbox starts against a local mosquitto and the time until it is empty
 *    (every message PUBACKed by mosquitto) gives msg/s. A QoS 0 subscriber at mosquitto counts arrivals.
 * 2. steady-state cost: an in-process gateway, one MQTT client publishing --messages QoS 1 telemetry
 *    messages (--window unacknowledged); process CPU (user+system) per message, with `upstream:`
 *    forwarding devices/+/telemetry to mosquitto and without it. The publisher runs in the same process
 *    and costs the same in both runs, so the difference is the cost of forwarding one message.
 * The machine is shared: the load average is printed with the figures.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import mqtt from 'mqtt'
import { configFromObject } from '../src/config/load.js'
import { Gateway } from '../src/gateway.js'
import { createLogger } from '../src/observability/logger.js'
import { Outbox } from '../src/sinks/outbox/outbox.js'
import { UpstreamConnection } from '../src/sinks/upstream/connection.js'
import { UPSTREAM, UPSTREAM_WINDOW } from '../src/sinks/upstream/extension.js'
import { encodeMessage } from '../src/sinks/upstream/message-item.js'
import { UpstreamOutput } from '../src/sinks/upstream/output.js'
import { chunkOfLines } from '../src/store/chunk-store.js'
import { LmdbChunkStore } from '../src/store/lmdb-chunk-store.js'
import { startInfluxd } from '../test/helpers/influxd.js'
import { type Mosquitto, startMosquitto } from '../test/helpers/mosquitto.js'

const { values: opts } = parseArgs({
  options: {
    backlog: { type: 'string', default: '100000' },
    messages: { type: 'string', default: '20000' },
    window: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '3' },
  },
})
const BACKLOG = Number(opts.backlog)
const MESSAGES = Number(opts.messages)
const WINDOW = Number(opts.window)
const ROUNDS = Number(opts.rounds)
const T0 = Date.now() - 3_600_000
const logger = createLogger('warn', false)
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')

function payload(i: number): string {
  return `{"temperature":${(20 + (i % 100) / 10).toFixed(1)},"humidity":40,"seq":${i},"ts":${T0 + i}}`
}

async function catchUp(broker: Mosquitto): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tidegate-bench-upstream-'))
  const store = new LmdbChunkStore(dir)
  await store.open()
  const chunkLines = UPSTREAM_WINDOW / 4
  for (let i = 0; i < BACKLOG; i += chunkLines * 20) {
    const chunks = []
    for (let c = i; c < Math.min(BACKLOG, i + chunkLines * 20); c += chunkLines) {
      const lines: string[] = []
      for (let j = c; j < Math.min(BACKLOG, c + chunkLines); j++)
        lines.push(
          encodeMessage({
            topic: `devices/dev-${j % 100}/telemetry`,
            payload: Buffer.from(payload(j)),
            retain: false,
          }),
        )
      chunks.push(chunkOfLines('telemetry', lines, Date.now()))
    }
    await store.append(chunks)
  }
  await store.close()
  const counter = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 })
  let arrived = 0
  counter.on('message', () => arrived++)
  await counter.subscribeAsync('bench/#', { qos: 0 })
  const connection = new UpstreamConnection(
    { url: broker.url, clientId: 'bench-catchup', protocolVersion: 4, prefix: 'bench', subscriptions: [] },
    logger,
  )
  const outbox = new Outbox(
    new LmdbChunkStore(dir),
    new UpstreamOutput(connection, 'bench'),
    {
      batchSize: UPSTREAM_WINDOW,
      flushIntervalMs: 0,
      concurrency: 1,
      maxBytes: 1024 ** 3,
      commitIntervalMs: 5,
      retryBaseMs: 250,
      retryCapMs: 5000,
    },
    logger,
  )
  const cpu = process.cpuUsage()
  const t = performance.now()
  await outbox.start()
  while (outbox.stats().pendingPoints > 0) await new Promise((r) => setTimeout(r, 10))
  const s = (performance.now() - t) / 1000
  const used = process.cpuUsage(cpu)
  await outbox.close(1000)
  await new Promise((r) => setTimeout(r, 500))
  await counter.endAsync()
  rmSync(dir, { recursive: true, force: true })
  console.log(
    `catch-up: ${BACKLOG} stored messages PUBACKed by mosquitto in ${s.toFixed(2)} s = ${Math.round(BACKLOG / s)} msg/s ` +
      `(window ${UPSTREAM_WINDOW}; arrived at a subscriber ${arrived}; gateway-side CPU ${((used.user + used.system) / BACKLOG).toFixed(1)} µs/msg; load ${load()})`,
  )
}

async function steady(influxUrl: string, broker: Mosquitto | null): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tidegate-bench-upstream-steady-'))
  const config = configFromObject({
    mqtt: { listeners: [{ host: '127.0.0.1', port: 0 }], publishRate: { perSecond: 0 } },
    influx: { url: influxUrl, database: 'bench_upstream' },
    http: { host: '127.0.0.1', port: 0 },
    dataDir,
    log: { level: 'warn' },
    journal: { enabled: false },
    ...(broker ? { upstream: { url: broker.url, prefix: 'bench', forward: ['devices/+/telemetry'] } } : {}),
  })
  const gateway = new Gateway({ config, logger })
  await gateway.start()
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.broker.listeners[0]?.port}`, {
    reconnectPeriod: 0,
  })
  const upstream = gateway.context.services.get(UPSTREAM)
  const cpu = process.cpuUsage()
  const t = performance.now()
  let sent = 0
  let acked = 0
  await new Promise<void>((resolve, reject) => {
    const next = () => {
      while (sent < MESSAGES && sent - acked < WINDOW) {
        const i = sent++
        client.publish(`devices/dev-${i % 100}/telemetry`, payload(i), { qos: 1 }, (err) => {
          if (err) return reject(err)
          acked++
          if (acked === MESSAGES) resolve()
          else next()
        })
      }
    }
    next()
  })
  // With upstream: until mosquitto acknowledged every forwarded message.
  while (upstream && upstream.stats().delivered < MESSAGES) await new Promise((r) => setTimeout(r, 5))
  const s = (performance.now() - t) / 1000
  const used = process.cpuUsage(cpu)
  const perMsg = (used.user + used.system) / MESSAGES
  await client.endAsync()
  await gateway.stop(10_000)
  rmSync(dataDir, { recursive: true, force: true })
  console.log(
    `steady: ${broker ? 'with upstream   ' : 'without upstream'} ${MESSAGES} QoS 1 msgs in ${s.toFixed(2)} s, ` +
      `process CPU ${perMsg.toFixed(1)} µs/msg (load ${load()})`,
  )
  return perMsg
}

const influxd = await startInfluxd()
const broker = await startMosquitto()
try {
  if (BACKLOG > 0) await catchUp(broker)
  if (MESSAGES > 0) {
    // Alternating rounds, least CPU of each: the first run pays for JIT warm-up, and the machine is shared.
    const without: number[] = []
    const withUp: number[] = []
    for (let r = 0; r < ROUNDS; r++) {
      without.push(await steady(influxd.url, null))
      withUp.push(await steady(influxd.url, broker))
    }
    const a = Math.min(...without)
    const b = Math.min(...withUp)
    console.log(
      `steady-state (least of ${ROUNDS}): ${a.toFixed(1)} µs/msg without, ${b.toFixed(1)} µs/msg with upstream: forwarding costs ${(b - a).toFixed(1)} µs/msg`,
    )
  }
} finally {
  await broker.dispose()
  await influxd.stop()
}
