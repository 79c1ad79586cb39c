/**
 * Footprint and reaction-time bench (issue 13): `npm run bench:footprint -- [options]`
 *
 *   --case a,b,…   cases to run (default: all): idle, conn, devices, windows, c10-5k, c10-10k, c10-20k, c10-40k, c10-50k, c1000-10k,
 *                  c1000-20k, c1000-40k, pinned-10k, mosquitto-10k, mosquitto-20k, mosquitto-40k
 *   --seconds N    load per case (default 20)
 *   --soak         one 10-minute c10-10k run; prints RSS every 10 s (flat or not)
 *   --node-flags=… the gateway's node flags instead of the service's (to measure a V8 setting)
 *   --warm other|same  before each gateway case's measured run: 2 s of readings (none hot) from 1000 other
 *                  devices (warm code, new devices) or from the same devices, then 1.5 s quiet: what of the
 *                  start-up second is the JIT and what is new devices (docs/footprint.md, fifth round)
 *
 * The gateway runs as deployed: the esbuild bundle with the node flags of config/tidegate.service,
 * default config except listeners and maxConnections, shipped catalog and rules plus one per-event
 * rule that publishes each reading above 29.5 °C, journal and durable outbox on, a throwaway influxd.
 * Each case gets a fresh gateway; a paced publisher (1000 devices over 10 or 1000 connections, QoS 0)
 * and a subscriber run in their own processes with TCP_NODELAY. Reaction = device PUBLISH → the rule's
 * publish at the subscriber; "after 5 s" leaves out the start, when all bench devices are new at once. `pinned-10k` runs the gateway on CPU 0 only (`taskset -c 0`, a stand-in
 * for one Pi core). `mosquitto-*` relay the same load through Mosquitto (the subscriber takes the hot
 * readings themselves): the reaction figures read as ratios to it. `idle` is RSS 10 s after start;
 * `conn` the RSS per idle connection against bare Aedes; `devices` the heap per tracked device; `windows`
 * the heap per open window (bench/footprint/window-memory.ts). The machine is shared: each row carries the
 * load average. Results: bench/results/footprint-<time>.json.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { InfluxHttpClient } from '../src/sinks/influx/http-client.js'
import { freePort } from '../test/helpers/free-port.js'
import { startInfluxd } from '../test/helpers/influxd.js'
import { readProc } from './e2e/proc-sampler.js'
import {
  applyServiceEnvironment,
  buildBundle,
  serviceNodeFlags,
  startBareAedes,
  startGateway,
  startMosquitto,
  writeGatewayConfig,
} from './footprint/processes.js'
import { rssTrend } from './footprint/rss-trend.js'
import { type CaseResult, heapAfterDevices, perConnectionCost, runCase, sleep } from './footprint/run-case.js'

const LOAD_CASES: Record<string, { connections: number; rate: number; pin?: boolean }> = {
  'c10-5k': { connections: 10, rate: 5_000 },
  'c10-10k': { connections: 10, rate: 10_000 },
  'c10-20k': { connections: 10, rate: 20_000 },
  'c10-40k': { connections: 10, rate: 40_000 },
  // Above real-time capacity: nothing may be lost, it arrives late (issue 13: "lossless at 50k stays").
  'c10-50k': { connections: 10, rate: 50_000 },
  'c1000-10k': { connections: 1000, rate: 10_000 },
  'c1000-20k': { connections: 1000, rate: 20_000 },
  'c1000-40k': { connections: 1000, rate: 40_000 },
  'pinned-10k': { connections: 10, rate: 10_000, pin: true },
}
const RELAY_CASES: Record<string, number> = {
  'mosquitto-10k': 10_000,
  'mosquitto-20k': 20_000,
  'mosquitto-40k': 40_000,
}
const ALL = ['idle', 'conn', 'devices', 'windows', ...Object.keys(LOAD_CASES), ...Object.keys(RELAY_CASES)]
const DEVICES = 1000

const { values: args } = parseArgs({
  options: {
    case: { type: 'string', default: ALL.join(',') },
    seconds: { type: 'string', default: '20' },
    soak: { type: 'boolean', default: false },
    'node-flags': { type: 'string' },
    warm: { type: 'string' },
  },
})
if (args.warm !== undefined && args.warm !== 'other' && args.warm !== 'same')
  throw new Error(`--warm is "other" or "same", not "${args.warm}"`)
const warm = args.warm as 'other' | 'same' | undefined
const cases = args.soak ? ['c10-10k'] : args.case.split(',')
const seconds = args.soak ? 600 : Number(args.seconds)
for (const c of cases) if (!ALL.includes(c)) throw new Error(`unknown case ${c} (cases: ${ALL.join(', ')})`)
const nodeFlags = args['node-flags']?.split(/\s+/).filter(Boolean) ?? serviceNodeFlags()
const log = (s: string) => process.stdout.write(`[footprint] ${s}\n`)
const mb = (n?: number) => (n === undefined || Number.isNaN(n) ? '–' : n.toFixed(1))
const ms = (n?: number) => (n === undefined || Number.isNaN(n) ? '–' : n < 10 ? n.toFixed(2) : n.toFixed(0))

const dir = mkdtempSync(join(tmpdir(), 'tidegate-footprint-'))
const results: Record<string, unknown> = {}
const rows: string[] = []
/** Runs of each case so far: a case named twice in --case gets its own database each time. */
const runsOfCase = new Map<string, number>()
log(
  `gateway node flags: ${nodeFlags.join(' ') || '(none)'}${args['node-flags'] === undefined ? ' (config/tidegate.service)' : ''}`,
)
log(`environment of config/tidegate.service: ${applyServiceEnvironment().join(' ') || '(none)'}`)
buildBundle()
const influx = await startInfluxd()
try {
  for (const name of cases) {
    if (name === 'idle') results[name] = await idle()
    else if (name === 'conn') results[name] = await connectionCost()
    else if (name === 'devices') results[name] = await deviceCost()
    else if (name === 'windows') results[name] = windowCost()
    else if (name in RELAY_CASES) {
      const r = await relay(RELAY_CASES[name] as number)
      results[name] = r
      rows.push(row(name, r))
      log(rows[rows.length - 1] as string)
    } else {
      try {
        const r = await gatewayCase(name)
        results[name] = r
        rows.push(row(name, r))
        log(rows[rows.length - 1] as string)
        const slow = r.slowSeconds ?? []
        if (slow.length)
          log(
            `${name}: seconds with reactions over 20 ms: ${slow.map((s) => `${s.second}s ${s.slow}× ≤${Math.round(s.worstMs)}ms`).join(', ')}`,
          )
      } catch (err) {
        // A gateway that died (e.g. out of heap) is a result too; the next case gets a fresh one.
        results[name] = { error: (err as Error).message }
        rows.push(`| ${name} | failed: ${(err as Error).message.split('\n')[0]} |`)
      }
    }
  }
} finally {
  await influx.stop()
  rmSync(dir, { recursive: true, force: true })
}
print()

async function gatewayCase(name: string): Promise<CaseResult> {
  const spec = LOAD_CASES[name] as { connections: number; rate: number; pin?: boolean }
  log(
    `${name}: ${spec.rate} msg/s over ${spec.connections} connections for ${seconds} s${spec.pin ? ', taskset -c 0' : ''} …`,
  )
  const run = (runsOfCase.get(name) ?? 0) + 1
  runsOfCase.set(name, run)
  const database = `fp_${name.replace(/-/g, '_')}_${run}`
  const g = await gateway(name, database, spec.pin ?? false)
  const client = new InfluxHttpClient({ url: influx.url, database, timeoutMs: 30_000 })
  try {
    const r = await runCase({
      port: g.mqttPort,
      connections: spec.connections,
      devices: DEVICES,
      rate: spec.rate,
      seconds,
      mode: 'rule',
      pid: g.server.pid,
      metricsUrl: `http://127.0.0.1:${g.httpPort}/metrics`,
      warm,
      landed: (sent) => countLanded(client, sent),
    })
    const child = g.server.child
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`gateway died during the run (${g.server.exitReason()}); its stderr is above`)
    if (args.soak) log(`soak RSS every 10 s (MB): ${r.rssTrendMB.map((x) => x.toFixed(0)).join(' ')}`)
    if (seconds >= 600) {
      const t = rssTrend(r.rssTrendMB)
      log(
        `${name}: RSS means per 10 minutes (MB): ${t.blockMeansMB.map((x) => x.toFixed(1)).join(' ')}; ` +
          `slope ${t.slopeMBPerMin.toFixed(2)} MB/min over the run, ${t.lastBlockSlopeMBPerMin.toFixed(2)} over its last 10 minutes`,
      )
    }
    return r
  } finally {
    await g.server.stop()
  }
}

async function gateway(name: string, database: string, pin: boolean) {
  const mqttPort = await freePort()
  const httpPort = await freePort()
  const config = writeGatewayConfig(join(dir, name), { mqttPort, httpPort, influxUrl: influx.url, database })
  const server = await startGateway(config, mqttPort, pin, nodeFlags)
  return { server, mqttPort, httpPort }
}

async function relay(rate: number): Promise<CaseResult> {
  log(`Mosquitto relay: ${rate} msg/s over 10 connections for ${seconds} s …`)
  const port = await freePort()
  const server = await startMosquitto(dir, port)
  try {
    return await runCase({
      port,
      connections: 10,
      devices: DEVICES,
      rate,
      seconds,
      mode: 'relay',
      pid: server.pid,
    })
  } finally {
    await server.stop()
  }
}

async function idle() {
  log('idle: RSS 10 s after start …')
  const g = await gateway('idle', 'fp_idle', false)
  try {
    await sleep(10_000)
    const p = readProc(g.server.pid)
    const r = {
      rssMB: (p?.rssBytes ?? 0) / 1_048_576,
      anonMB: (p?.anonBytes ?? 0) / 1_048_576,
      fileMB: (p?.fileBytes ?? 0) / 1_048_576,
    }
    log(`idle: VmRSS ${mb(r.rssMB)} MB (anon ${mb(r.anonMB)}, file ${mb(r.fileMB)})`)
    return r
  } finally {
    await g.server.stop()
  }
}

async function connectionCost() {
  log('conn: RSS per idle connection (1000), gateway against bare Aedes …')
  const g = await gateway('conn', 'fp_conn', false)
  let gw: Awaited<ReturnType<typeof perConnectionCost>>
  try {
    gw = await perConnectionCost(g.mqttPort, g.server.pid, 1000)
  } finally {
    await g.server.stop()
  }
  const port = await freePort()
  const aedes = await startBareAedes(port, nodeFlags)
  let bare: Awaited<ReturnType<typeof perConnectionCost>>
  try {
    bare = await perConnectionCost(port, aedes.pid, 1000)
  } finally {
    await aedes.stop()
  }
  log(
    `conn: gateway ${gw.rssKB.toFixed(1)} KB RSS (${gw.anonKB.toFixed(1)} anon) per connection; bare Aedes ${bare.rssKB.toFixed(1)} KB (${bare.anonKB.toFixed(1)} anon)`,
  )
  return { gateway: gw, bareAedes: bare }
}

/** Heap per open window of three window shapes, in a child process of its own (bench/footprint/window-memory.ts). */
function windowCost() {
  log('windows: heap per open window (10 000 keys against 10, windows full) …')
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', 'bench/footprint/window-memory.ts'],
    {
      encoding: 'utf8',
    },
  )
  for (const line of out.trim().split('\n')) log(line.replace(/^\[windows\] /, 'windows: '))
  return out.trim().split('\n')
}

/** 20k readings from 10 000 devices against 20k from 10, each on a fresh gateway: the heap per device. */
async function deviceCost() {
  log('devices: heap per tracked device (10 000 devices against 10, same number of messages) …')
  const heap = async (devices: number) => {
    const g = await gateway(`devices-${devices}`, `fp_devices_${devices}`, false)
    try {
      return await heapAfterDevices(g.mqttPort, `http://127.0.0.1:${g.httpPort}/metrics`, devices, 20_000)
    } finally {
      await g.server.stop()
    }
  }
  const many = await heap(10_000)
  const few = await heap(10)
  const perDeviceKB = ((many.after - many.before - (few.after - few.before)) * 1024) / (10_000 - 10)
  log(`devices: ${perDeviceKB.toFixed(2)} KB heap per tracked device`)
  return { many, few, perDeviceKB }
}

/** Points of the bench devices in InfluxDB, polled until all arrived or the count stops moving. */
async function countLanded(client: InfluxHttpClient, sent: number): Promise<number> {
  let last = -1
  let stable = 0
  const until = Date.now() + 60_000
  for (;;) {
    const res = await client.query('SELECT count(temperature) FROM climate WHERE device =~ /^fp-/')
    const n = Number(res.results[0]?.series?.[0]?.values?.[0]?.[1] ?? 0)
    stable = n === last ? stable + 1 : 0
    last = n
    if (n >= sent || (n > 0 && stable >= 10) || Date.now() > until) return n
    await sleep(1000)
  }
}

function row(name: string, r: CaseResult): string {
  const loss = r.landed !== undefined ? `${(100 * (1 - r.landed / Math.max(1, r.sent))).toFixed(2)} %` : '–'
  const unsent = r.unsentBytes
    ? ` (${(r.unsentBytes / 1_048_576).toFixed(1)} MB never left the publisher)`
    : ''
  const reactLoss = `${(100 * (1 - r.hotReceived / Math.max(1, r.hotSent))).toFixed(2)} %`
  return `| ${name} | ${r.sent}${unsent} | ${loss} | ${reactLoss} | ${ms(r.reaction?.p50)} / ${ms(r.reaction?.p99)} / ${ms(r.reaction?.max)} | ${ms(r.steadyReaction?.p50)} / ${ms(r.steadyReaction?.p99)} / ${ms(r.steadyReaction?.max)} | ${ms(r.eventLoopMs?.p99)} / ${ms(r.eventLoopMs?.max)} (${ms(r.eventLoopMs?.startMax)}) | ${mb(r.rssPeakMB)} (${mb(r.anonPeakMB)} / ${mb(r.filePeakMB)}) | ${(r.cpu * 100).toFixed(0)} % (${(r.mainCpu * 100).toFixed(0)} %) | ${r.load.toFixed(1)} |`
}

function print(): void {
  if (rows.length) {
    process.stdout.write(
      `\n| case | sent | points lost | reactions lost | reaction p50 / p99 / max ms | after 5 s: p50 / p99 / max ms | event loop after 5 s: p99 / max ms (first 5 s: max) | peak VmRSS MB (anon / file) | CPU (main thread) | load 1m |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n${rows.join('\n')}\n`,
    )
  }
  mkdirSync('bench/results', { recursive: true })
  const file = `bench/results/footprint-${new Date().toISOString().replace(/[:.]/g, '-')}.json`
  writeFileSync(file, JSON.stringify({ seconds, flags: nodeFlags, results }, null, 2))
  log(`results: ${file}`)
}
