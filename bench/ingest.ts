/**
 * Ingest benchmark: MQTT publish → gateway → points confirmed in InfluxDB.
 *
 *   npm run bench:ingest -- [--seconds 15] [--devices 1000] [--connections 20] [--publishers 1]
 *                           [--qos 0|1] [--window 500] [--durable true|false] [--journal true|false]
 *                           [--rate 0] [--cpu-prof]
 *
 * Starts a throwaway influxd (test/helpers/influxd.ts), the real CLI (`tidegate run`) as a child
 * process with the shipped device catalog and otherwise default config (publish rate limit off), and
 * publisher child processes (bench/ingest-publisher.ts) simulating the devices. Reports:
 * - sustained rate: points confirmed in InfluxDB (`count(*)`) per second over the measured window
 *   (after a warm-up), and end to end: all published messages until the last is confirmed;
 * - gateway CPU (cores used, from /proc) and peak RSS; influxd CPU for context (2 cores shared).
 * `--rate N` paces the publishers to N msg/s in all (0: as fast as TCP backpressure allows; the
 * gateway then buffers what InfluxDB has not confirmed yet, so the confirmed rate is the figure).
 * `--cpu-prof` writes the gateway's V8 profile to bench/results/ and prints where its time went.
 * Results are also written as JSON to bench/results/ingest-<time>.json.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process'
import {
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort } from '../test/helpers/free-port.js'
import { startInfluxd } from '../test/helpers/influxd.js'
import { summariseProfile } from './e2e/cpu-profile.js'

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '3' },
    devices: { type: 'string', default: '1000' },
    connections: { type: 'string', default: '20' },
    publishers: { type: 'string', default: '1' },
    qos: { type: 'string', default: '0' },
    window: { type: 'string', default: '500' },
    rate: { type: 'string', default: '0' },
    durable: { type: 'string', default: 'true' },
    journal: { type: 'string', default: 'true' },
    'cpu-prof': { type: 'boolean', default: false },
  },
})
const seconds = Number(args.seconds)
const warmup = Number(args.warmup)
const devices = Number(args.devices)
const connections = Number(args.connections)
const publishers = Number(args.publishers)
const qos = Number(args.qos) === 1 ? 1 : 0
const repo = resolve(import.meta.dirname, '..')
const resultsDir = join(repo, 'bench/results')
const CLK_TCK = 100 // USER_HZ on Linux
const profileDir = join(resultsDir, `ingest-profile-${Date.now()}`)
/** The gateway's own log (warnings and errors) of the last run. */
const gatewayLog = join(resultsDir, 'ingest-gateway.log')

/** CPU seconds (user + system) of a process, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : 0
}

async function countPoints(influxUrl: string): Promise<number> {
  const q = new URLSearchParams({ db: 'bench', q: 'SELECT count(temperature) FROM climate' })
  const res = await fetch(`${influxUrl}/query?${q}`)
  const json = (await res.json()) as { results: { series?: { values: [string, number][] }[] }[] }
  return json.results[0]?.series?.[0]?.values[0]?.[1] ?? 0
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function startGateway(influxUrl: string, dir: string) {
  const port = await freePort()
  mkdirSync(join(dir, 'rules'))
  const config = join(dir, 'gateway.yaml')
  writeFileSync(
    config,
    [
      `mqtt: { listeners: [{ host: 127.0.0.1, port: ${port} }], publishRate: { perSecond: 0 }, maxConnections: 10000 }`,
      `influx: { url: "${influxUrl}", database: bench, buffer: { durable: ${args.durable === 'true'} } }`,
      `catalog: ${join(repo, 'devices')}`,
      `rules: ${join(dir, 'rules')}`,
      'http: { host: 127.0.0.1, port: 0 }',
      `dataDir: ${join(dir, 'data')}`,
      `journal: { enabled: ${args.journal === 'true'} }`,
      'log: { level: warn }',
      '',
    ].join('\n'),
  )
  const nodeArgs = ['--import', import.meta.resolve('tsx')]
  if (args['cpu-prof']) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`)
  // log level warn hides "listening": poll the broker port instead.
  const child = spawn(
    process.execPath,
    [...nodeArgs, join(repo, 'src/cli/main.ts'), 'run', '--config', config],
    { cwd: dir, stdio: ['ignore', openSync(gatewayLog, 'w'), 'inherit'] },
  )
  const until = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}`)
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1')
      s.once('connect', () => {
        s.destroy()
        r(true)
      })
      s.once('error', () => r(false))
    })
    if (ok) break
    if (Date.now() > until) throw new Error('gateway did not start listening')
    await sleep(100)
  }
  return { child: child as ChildProcess & { pid: number }, port }
}

interface PublisherState {
  child: ChildProcess
  published: number
  acked: number
  done: Promise<void>
}

function startPublishers(port: number, baseTime: number): PublisherState[] {
  const out: PublisherState[] = []
  const perPublisher = Math.ceil(devices / publishers)
  for (let p = 0; p < publishers; p++) {
    const firstDevice = p * perPublisher
    const count = Math.min(perPublisher, devices - firstDevice)
    const options = {
      port,
      firstDevice,
      devices: count,
      connections: Math.max(1, Math.round(connections / publishers)),
      qos,
      seconds: warmup + seconds,
      window: Number(args.window),
      baseTime,
      rate: Number(args.rate) / publishers,
    }
    const child = fork(join(repo, 'bench/ingest-publisher.ts'), [JSON.stringify(options)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const state: PublisherState = { child, published: 0, acked: 0, done: Promise.resolve() }
    state.done = new Promise((resolveDone) => {
      child.on('message', (m: { published: number; acked: number; done?: boolean }) => {
        state.published = m.published
        state.acked = m.acked
        if (m.done) resolveDone()
      })
      child.once('exit', () => resolveDone())
    })
    out.push(state)
  }
  return out
}

async function main(): Promise<void> {
  mkdirSync(resultsDir, { recursive: true })
  const dir = mkdtempSync(join(tmpdir(), 'tidegate-bench-'))
  const influxd = await startInfluxd()
  let gateway: Awaited<ReturnType<typeof startGateway>> | undefined
  try {
    gateway = await startGateway(influxd.url, dir)
    const gw = gateway
    const baseTime = Date.now()
    const pubs = startPublishers(gw.port, baseTime)
    const published = () => pubs.reduce((n, p) => n + p.published, 0)
    const startedAt = Date.now()
    // CPU over the whole run (publish until the last point is confirmed): per-message cost, which
    // holds up on a busy machine where the wall-clock rate does not.
    const runCpu0 = cpuSeconds(gw.child.pid)
    const runIcpu0 = cpuSeconds(influxd.pid)
    let peakRss = 0
    const rssTimer = setInterval(() => {
      peakRss = Math.max(peakRss, rssMiB(gw.child.pid))
    }, 250)

    await sleep(warmup * 1000)
    const t0 = Date.now()
    const c0 = await countPoints(influxd.url)
    const p0 = published()
    const cpu0 = cpuSeconds(gw.child.pid)
    const icpu0 = cpuSeconds(influxd.pid)
    await sleep(seconds * 1000)
    const t1 = Date.now()
    const c1 = await countPoints(influxd.url)
    const p1 = published()
    const cpu1 = cpuSeconds(gw.child.pid)
    const icpu1 = cpuSeconds(influxd.pid)

    await Promise.all(pubs.map((p) => p.done))
    const total = published()
    const acked = pubs.reduce((n, p) => n + p.acked, 0)
    // Drain: wait until every published message is confirmed (or nothing moves for 10 s).
    let last = -1
    let lastMove = Date.now()
    let confirmed = 0
    for (;;) {
      confirmed = await countPoints(influxd.url)
      if (confirmed >= total) break
      if (confirmed !== last) {
        last = confirmed
        lastMove = Date.now()
      } else if (Date.now() - lastMove > 10_000) break
      await sleep(100)
    }
    const drainedAt = Date.now()
    const runCpu = cpuSeconds(gw.child.pid) - runCpu0
    const runIcpu = cpuSeconds(influxd.pid) - runIcpu0
    const loadAverage = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
    clearInterval(rssTimer)

    const result = {
      date: new Date().toISOString(),
      options: {
        seconds,
        warmup,
        devices,
        connections,
        publishers,
        qos,
        rate: Number(args.rate),
        durable: args.durable,
        journal: args.journal,
      },
      measuredWindowS: (t1 - t0) / 1000,
      publishedPerS: Math.round(((p1 - p0) * 1000) / (t1 - t0)),
      confirmedPerS: Math.round(((c1 - c0) * 1000) / (t1 - t0)),
      endToEnd: {
        published: total,
        acked: qos ? acked : undefined,
        confirmed,
        lost: total - confirmed,
        seconds: (drainedAt - startedAt) / 1000,
        perS: Math.round((confirmed * 1000) / (drainedAt - startedAt)),
      },
      gateway: {
        cpuCores: Number(((cpu1 - cpu0) / ((t1 - t0) / 1000)).toFixed(2)),
        cpuMicrosPerMessage: confirmed ? Number(((runCpu * 1e6) / confirmed).toFixed(1)) : null,
        messagesPerCpuSecond: runCpu ? Math.round(confirmed / runCpu) : null,
        peakRssMiB: Math.round(peakRss),
      },
      influxd: {
        cpuCores: Number(((icpu1 - icpu0) / ((t1 - t0) / 1000)).toFixed(2)),
        cpuMicrosPerPoint: confirmed ? Number(((runIcpu * 1e6) / confirmed).toFixed(1)) : null,
      },
      /** 1, 5, 15 minute load average at the end: figures from a shared machine need it. */
      loadAverage,
    }
    const file = join(resultsDir, `ingest-${result.date.replace(/[:.]/g, '-')}.json`)
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`)
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
    process.stdout.write(
      `\nsustained: ${result.confirmedPerS} points/s confirmed in InfluxDB (published ${result.publishedPerS}/s) ` +
        `over ${result.measuredWindowS}s, QoS ${qos}, ${devices} devices on ${connections} connections; ` +
        `end to end ${result.endToEnd.perS}/s, lost ${result.endToEnd.lost}; ` +
        `gateway ${result.gateway.cpuCores} cores, peak RSS ${result.gateway.peakRssMiB} MiB, ` +
        `${result.gateway.cpuMicrosPerMessage} µs CPU/message (${result.gateway.messagesPerCpuSecond} msg per CPU-second); ` +
        `influxd ${result.influxd.cpuCores} cores, ${result.influxd.cpuMicrosPerPoint} µs CPU/point; load ${loadAverage}\nresult: ${file}\n`,
    )
  } finally {
    if (gateway?.child.exitCode === null) {
      const exited = new Promise((r) => gateway?.child.once('exit', r))
      process.kill(gateway.child.pid, 'SIGTERM')
      await Promise.race([exited, sleep(20_000)])
      if (gateway.child.exitCode === null) process.kill(gateway.child.pid, 'SIGKILL')
      // What a graceful stop still flushed: points the drain wait gave up on were pending, not lost.
      process.stdout.write(
        `after the gateway stopped: ${await countPoints(influxd.url)} points in InfluxDB\n`,
      )
    }
    await influxd.stop()
    rmSync(dir, { recursive: true, force: true })
  }
  if (args['cpu-prof']) {
    keepMainThreadProfile(profileDir)
    const summary = summariseProfile(profileDir, 25)
    if (summary) process.stdout.write(`\ngateway CPU profile ${summary.file}\n${formatSummary(summary)}\n`)
  }
}

/** --cpu-prof writes one profile per thread (tsx runs a loader thread): keep the biggest, the main one. */
function keepMainThreadProfile(dir: string): void {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => ({ f, size: statSync(join(dir, f)).size }))
    .sort((a, b) => b.size - a.size)
  for (const { f } of files.slice(1)) rmSync(join(dir, f))
}

function formatSummary(s: NonNullable<ReturnType<typeof summariseProfile>>): string {
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)}%`
  return [
    `total ${s.totalMs.toFixed(0)} ms; by area:`,
    ...s.areas.map((a) => `  ${pct(a.share)}  ${a.area}`),
    'top functions (self time):',
    ...s.functions.map((f) => `  ${pct(f.share)}  ${f.name}  ${f.where}`),
  ].join('\n')
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack}\n`)
  process.exitCode = 1
})
