/**
 * The outbox's two figures (issue 4):
 *
 *   npm run bench:outbox                      # defaults: 1M-point backlog, 50k QoS 1 messages per mode
 *   npx tsx bench/outbox.ts --backlog 1000000 --messages 50000 --window 500 --rounds 3 [--concurrency 2] [--gzip 1]
 *
 * 1. catch-up: a backlog of --backlog points (1000 series, ~85 bytes a line) is put in an LMDB outbox as
 *    group commits would leave it after an outage; then the outbox starts against a throwaway local
 *    influxd and the time until it is empty (every point confirmed 2xx) gives points/s. The count in
 *    InfluxDB is checked afterwards.
 * 2. steady state: an in-process gateway, one MQTT client publishing --messages QoS 1 climate messages
 *    with --window unacknowledged at a time; msg/s = messages / time until the last PUBACK. Run with
 *    the durable outbox (PUBACK waits for the fsynced group commit) and with influx.buffer.durable=false.
 * Also: raw accept rate of the outbox (write + group commit, no MQTT); the outbox's own drain rate into an
 * HTTP server that does nothing (what it could feed a fast InfluxDB); and the ceiling: the same points
 * gzipped beforehand and posted straight to influxd with the same batch size and concurrency, so the
 * catch-up figure can be read against what this (shared, busy) machine's influxd takes at all.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { gzipSync } from 'node:zlib'
import mqtt from 'mqtt'
import { configFromObject } from '../src/config/load.js'
import { Gateway } from '../src/gateway.js'
import { createLogger } from '../src/observability/logger.js'
import { InfluxHttpClient } from '../src/sinks/influx/http-client.js'
import { InfluxOutput } from '../src/sinks/influx/output.js'
import { Outbox } from '../src/sinks/outbox/outbox.js'
import { chunkOfLines } from '../src/store/chunk-store.js'
import { LmdbChunkStore } from '../src/store/lmdb-chunk-store.js'
import { startInfluxd } from '../test/helpers/influxd.js'

const { values: opts } = parseArgs({
  options: {
    backlog: { type: 'string', default: '1000000' },
    messages: { type: 'string', default: '50000' },
    window: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '2' },
    gzip: { type: 'string', default: '1' },
    batch: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '3' },
  },
})
const BACKLOG = Number(opts.backlog)
const MESSAGES = Number(opts.messages)
const WINDOW = Number(opts.window)
const CONCURRENCY = Number(opts.concurrency)
const GZIP = Number(opts.gzip)
const BATCH = Number(opts.batch)
const ROUNDS = Number(opts.rounds)
const logger = createLogger('warn', false)
const T0 = Date.now() - 86_400_000

function line(i: number): string {
  const device = `dev-${String(i % 1000).padStart(4, '0')}`
  return `climate,device=${device},zone=z${i % 7} temperature=${(20 + (i % 100) / 10).toFixed(2)},humidity=${40 + (i % 13)},co2=${400 + (i % 500)} ${T0 + Math.floor(i / 1000)}`
}

/** A backlog as an outage leaves it: chunks of batchSize/4 lines in a fresh LMDB outbox. */
async function storeBacklog(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tidegate-bench-outbox-'))
  const store = new LmdbChunkStore(dir)
  await store.open()
  const chunkLines = Math.floor(BATCH / 4)
  const t = performance.now()
  for (let i = 0; i < BACKLOG; i += chunkLines * 20) {
    const chunks = []
    for (let c = i; c < Math.min(BACKLOG, i + chunkLines * 20); c += chunkLines) {
      const lines: string[] = []
      for (let j = c; j < Math.min(BACKLOG, c + chunkLines); j++) lines.push(line(j))
      chunks.push(chunkOfLines('telemetry', lines, Date.now()))
    }
    await store.append(chunks)
  }
  await store.close()
  const s = (performance.now() - t) / 1000
  console.log(`backlog: ${BACKLOG} points stored in ${s.toFixed(1)} s (${Math.round(BACKLOG / s)} points/s)`)
  return dir
}

/** Drains a stored backlog into `url`; returns points/s. */
async function drain(
  url: string,
  createDatabase: boolean,
): Promise<{ rate: number; client: InfluxHttpClient }> {
  const dir = await storeBacklog()
  const client = new InfluxHttpClient({ url, database: 'bench_catchup', timeoutMs: 60_000, gzipLevel: GZIP })
  const sink = new Outbox(
    new LmdbChunkStore(dir),
    new InfluxOutput(client, { createDatabase, authRetryMs: 60_000 }, logger),
    {
      batchSize: BATCH,
      flushIntervalMs: 1000,
      concurrency: CONCURRENCY,
      maxBytes: 1024 ** 3,
      commitIntervalMs: 5,
      retryBaseMs: 250,
      retryCapMs: 5000,
    },
    logger,
  )
  await sink.start()
  const t = performance.now()
  while (sink.stats().pendingPoints > 0) await new Promise((r) => setTimeout(r, 20))
  const s = (performance.now() - t) / 1000
  await sink.close(1000)
  rmSync(dir, { recursive: true, force: true })
  return { rate: Math.round(BACKLOG / s), client }
}

async function catchUp(influxUrl: string): Promise<void> {
  const { rate, client } = await drain(influxUrl, true)
  const res = await client.query('SELECT count(co2) FROM climate')
  const counted = res.results[0]?.series?.[0]?.values?.[0]?.[1]
  console.log(
    `catch-up: ${BACKLOG} points into influxd at ${rate} points/s ` +
      `(batch ${BATCH}, concurrency ${CONCURRENCY}, gzip ${GZIP}; InfluxDB count afterwards ${counted})`,
  )
}

/** The outbox's own ceiling: the same drain into an HTTP server that answers 204 and does nothing. */
async function nullDrain(): Promise<void> {
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => res.writeHead(204).end())
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  const { rate } = await drain(`http://127.0.0.1:${port}`, false)
  server.close()
  console.log(
    `outbox alone: ${BACKLOG} points read, gzipped, posted to a do-nothing server at ${rate} points/s`,
  )
}

/** influxd's own ingest rate here: pre-gzipped bodies, no outbox. */
async function ceiling(influxUrl: string): Promise<void> {
  const n = Math.min(BACKLOG, 500_000)
  await fetch(`${influxUrl}/query?q=CREATE+DATABASE+bench_raw`, { method: 'POST' }).then((r) => r.text())
  const bodies: Buffer[] = []
  for (let i = 0; i < n; i += BATCH) {
    const lines: string[] = []
    for (let j = i; j < Math.min(n, i + BATCH); j++) lines.push(line(j))
    bodies.push(gzipSync(lines.join('\n'), { level: GZIP }))
  }
  let next = 0
  const t = performance.now()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++] as Buffer
        const res = await fetch(`${influxUrl}/write?db=bench_raw&precision=ms`, {
          method: 'POST',
          body,
          headers: { 'content-encoding': 'gzip' },
        })
        if (res.status !== 204) throw new Error(`raw write: HTTP ${res.status} ${await res.text()}`)
        await res.body?.cancel()
      }
    }),
  )
  const s = (performance.now() - t) / 1000
  console.log(`ceiling: influxd alone took ${n} points in ${s.toFixed(1)} s = ${Math.round(n / s)} points/s`)
}

async function acceptRate(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tidegate-bench-accept-'))
  const client = new InfluxHttpClient({ url: 'http://127.0.0.1:9', database: 'x', timeoutMs: 1000 })
  const sink = new Outbox(
    new LmdbChunkStore(dir),
    new InfluxOutput(client, { createDatabase: false, authRetryMs: 60_000 }, logger),
    {
      batchSize: BATCH,
      flushIntervalMs: 60_000,
      concurrency: 1,
      maxBytes: 1024 ** 3,
      commitIntervalMs: 5,
      retryBaseMs: 60_000,
      retryCapMs: 60_000,
    },
    logger,
  )
  await sink.start()
  const n = 500_000
  const t = performance.now()
  for (let i = 0; i < n; i += 1000) {
    for (let j = i; j < i + 1000; j++) sink.write(line(j), 'telemetry')
    // Yield like a busy event loop would, so group commits happen as in a running gateway.
    await new Promise<void>((r) => setImmediate(r))
  }
  await new Promise<void>((r) => sink.whenAccepted(r))
  const s = (performance.now() - t) / 1000
  console.log(`accept: ${n} lines written and fsynced in ${s.toFixed(2)} s = ${Math.round(n / s)} lines/s`)
  await sink.close(0)
  rmSync(dir, { recursive: true, force: true })
}

async function steadyState(influxUrl: string, durable: boolean): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tidegate-bench-steady-'))
  const config = configFromObject({
    mqtt: { listeners: [{ host: '127.0.0.1', port: 0 }], publishRate: { perSecond: 0 } },
    influx: {
      url: influxUrl,
      database: `bench_steady_${durable ? 'durable' : 'memory'}`,
      buffer: { durable },
    },
    http: { host: '127.0.0.1', port: 0 },
    dataDir,
    log: { level: 'warn' },
  })
  const gateway = new Gateway({ config, logger })
  await gateway.start()
  const port = gateway.broker.listeners[0]?.port
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 })
  const t = performance.now()
  let sent = 0
  let acked = 0
  await new Promise<void>((resolve, reject) => {
    const next = () => {
      while (sent < MESSAGES && sent - acked < WINDOW) {
        const i = sent++
        const payload = `{"temperature":${(20 + (i % 100) / 10).toFixed(1)},"humidity":40,"ts":${T0 + i}}`
        client.publish(`devices/dev-${i % 100}/telemetry`, payload, { qos: 1 }, (err) => {
          if (err) return reject(err)
          acked++
          if (acked === MESSAGES) resolve()
          else next()
        })
      }
    }
    next()
  })
  const s = (performance.now() - t) / 1000
  const rate = Math.round(MESSAGES / s)
  await client.endAsync()
  await gateway.stop(10_000)
  const stats = gateway.sink.stats()
  console.log(
    `steady: ${durable ? 'durable outbox  ' : 'memory (no disk)'} ${MESSAGES} QoS 1 msgs in ${s.toFixed(2)} s = ${rate} msg/s ` +
      `(window ${WINDOW}; delivered ${stats.delivered}, pending at stop ${stats.pendingPoints})`,
  )
  rmSync(dataDir, { recursive: true, force: true })
  return rate
}

const influxd = await startInfluxd()
try {
  await acceptRate()
  if (BACKLOG > 0) {
    await nullDrain()
    await ceiling(influxd.url)
    await catchUp(influxd.url)
  }
  if (MESSAGES > 0) {
    // Alternating rounds, best of each: the first run also pays for JIT warm-up, and the machine is shared.
    const memory: number[] = []
    const durable: number[] = []
    for (let r = 0; r < ROUNDS; r++) {
      memory.push(await steadyState(influxd.url, false))
      durable.push(await steadyState(influxd.url, true))
    }
    const m = Math.max(...memory)
    const d = Math.max(...durable)
    console.log(
      `steady-state (best of ${ROUNDS}): memory ${m} msg/s, durable outbox ${d} msg/s: the outbox costs ${((1 - d / m) * 100).toFixed(1)}%`,
    )
  }
} finally {
  await influxd.stop()
}
