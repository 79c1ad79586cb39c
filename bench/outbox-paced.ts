/**
 * What the durable outbox costs a gateway at a steady, paced rate, per commit window (issue 13):
 *
 *   npm run bench:outbox-paced                        # 10k lines/s for 10 s, windows 5 and 100 ms, 3 rounds
 *   npx tsx bench/outbox-paced.ts --rate 10000 --seconds 10 --windows 5,20,100 --rounds 3
 *
 * An LMDB outbox takes --rate telemetry lines per second (one tick per millisecond, as readings arrive) and
 * delivers them to a local HTTP server that answers 204 (InfluxDB's cost is not the outbox's). For each
 * `unackedCommitIntervalMs` window the process's CPU time (all threads: main, LMDB writer, libuv pool, GC
 * helpers) per line is printed, rounds interleaved because the machine is shared; the lowest of each is kept.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createLogger } from '../src/observability/logger.js'
import { InfluxHttpClient } from '../src/sinks/influx/http-client.js'
import { InfluxOutput } from '../src/sinks/influx/output.js'
import { Outbox } from '../src/sinks/outbox/outbox.js'
import { LmdbChunkStore } from '../src/store/lmdb-chunk-store.js'

const { values: opts } = parseArgs({
  options: {
    rate: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '10' },
    windows: { type: 'string', default: '5,100' },
    rounds: { type: 'string', default: '3' },
  },
})
const RATE = Number(opts.rate)
const SECONDS = Number(opts.seconds)
const WINDOWS = String(opts.windows).split(',').map(Number)
const ROUNDS = Number(opts.rounds)
const logger = createLogger('warn', false)

const reading = (i: number) =>
  `climate,device=dev-${i % 1000},zone=z${i % 7} temperature=${20 + (i % 100) / 10},humidity=${40 + (i % 13)} ${1_700_000_000_000 + i}`

async function cpuPerLine(url: string, windowMs: number): Promise<{ usPerLine: number; commits: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'tidegate-bench-paced-'))
  const store = new LmdbChunkStore(dir)
  let commits = 0
  const append = store.append.bind(store)
  store.append = (chunks) => {
    commits++
    return append(chunks)
  }
  const client = new InfluxHttpClient({ url, database: 'x', timeoutMs: 10_000, gzipLevel: 1 })
  const outbox = new Outbox(
    store,
    new InfluxOutput(client, { createDatabase: false, authRetryMs: 60_000 }, logger),
    {
      batchSize: 5000,
      flushIntervalMs: 1000,
      concurrency: 2,
      maxBytes: 1024 ** 3,
      commitIntervalMs: 5,
      unackedCommitIntervalMs: windowMs,
      retryBaseMs: 250,
      retryCapMs: 5000,
    },
    logger,
  )
  await outbox.start()
  const perTick = RATE / 1000
  let written = 0
  const before = process.cpuUsage()
  const started = performance.now()
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      // Catch up to where the clock is, as a socket would deliver what arrived meanwhile.
      const due = Math.min(RATE * SECONDS, Math.floor(((performance.now() - started) / 1000) * RATE))
      while (written < due) outbox.write(reading(written++), 'telemetry')
      if (written >= RATE * SECONDS) {
        clearInterval(tick)
        resolve()
      }
    }, 1 / perTick)
  })
  await new Promise<void>((r) => outbox.whenAccepted(r))
  while (outbox.stats().pendingPoints > 0) await new Promise((r) => setTimeout(r, 20))
  const used = process.cpuUsage(before)
  await outbox.close(1000)
  rmSync(dir, { recursive: true, force: true })
  return { usPerLine: (used.user + used.system) / written, commits }
}

const server = createServer((req, res) => {
  req.resume()
  req.on('end', () => res.writeHead(204).end())
})
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
const best = new Map<number, { usPerLine: number; commits: number }>()
for (let r = 0; r < ROUNDS; r++) {
  for (const w of WINDOWS) {
    const got = await cpuPerLine(url, w)
    console.log(
      `round ${r + 1}, window ${w} ms: ${got.usPerLine.toFixed(2)} µs CPU per line, ${got.commits} commits`,
    )
    const prev = best.get(w)
    if (!prev || got.usPerLine < prev.usPerLine) best.set(w, got)
  }
}
server.close()
const base = best.get(WINDOWS[0] as number)?.usPerLine ?? 1
for (const [w, b] of best)
  console.log(
    `window ${w} ms: ${b.usPerLine.toFixed(2)} µs CPU per line (${((b.usPerLine / base) * 100).toFixed(0)} % of ${WINDOWS[0]} ms), ` +
      `${b.commits} commits for ${RATE * SECONDS} lines at ${RATE}/s`,
  )
