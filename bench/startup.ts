/**
 * Start-up time and memory of the built gateway, as an operator would run it.
 *
 *   npm run build && npm run bench:startup            # defaults: 5 starts, 10k msg/s for 20 s
 *   # as config/tidegate.service runs it:
 *   npm run build:bundle && MALLOC_ARENA_MAX=2 npm run bench:startup -- --cli dist/src/cli/tidegate.mjs \
 *     --node-flags=--max-semi-space-size=4
 *   npx tsx bench/startup.ts --runs 5 --rate 10000 --seconds 20 [--influx http://127.0.0.1:8086] [--cli path/main.js]
 *
 * 1. start-to-listening: spawn `node dist/src/cli/main.js run` and time until the MQTT port accepts a
 *    TCP connection (median of --runs starts; `node -e ""` is timed too, as the floor of any Node process).
 * 2. RSS idle (2 s after listening) and under load: 100 MQTT clients in this process (one per device) send
 *    QoS 0 climate payloads at --rate msg/s in total for --seconds; the gateway's RSS is sampled
 *    from /proc every 250 ms. Afterwards /metrics says how many messages the gateway accepted.
 * Without --influx a throwaway influxd (test/helpers/influxd.ts) is started and stopped.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import mqtt from 'mqtt'
import { freePort } from '../test/helpers/free-port.js'
import { type InfluxdHandle, startInfluxd } from '../test/helpers/influxd.js'

const ROOT = resolve(import.meta.dirname, '..')

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    rate: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '20' },
    influx: { type: 'string' },
    // Another build output (e.g. `tsc -p tsconfig.build.json --outDir .tmp/dist`), inside the repo for node_modules.
    cli: { type: 'string', default: join(ROOT, 'dist/src/cli/main.js') },
    // Node flags for the gateway only, e.g. "--max-semi-space-size=4" (what config/tidegate.service uses).
    'node-flags': { type: 'string', default: '' },
  },
})
const CLI = resolve(opts.cli)
const RUNS = Number(opts.runs)
const RATE = Number(opts.rate)
const SECONDS = Number(opts.seconds)

/**
 * Resident memory in MB: `VmRSS` (everything), or `RssAnon` (heap, buffers: what the process really
 * holds; the rest is file pages, e.g. the LMDB outbox's memory map, which the kernel can reclaim).
 */
function rssMb(pid: number, field: 'VmRSS' | 'RssAnon' = 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : Number.NaN
}

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime in clock ticks (USER_HZ = 100)
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}

async function acceptsTcp(port: number): Promise<boolean> {
  return new Promise((res) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      res(true)
    })
    socket.once('error', () => res(false))
  })
}

interface Running {
  child: ChildProcess
  mqttPort: number
  httpPort: number
  startMs: number
  /** CPU seconds the gateway used until listening: unlike wall time, barely moved by other load on the box. */
  startCpuS: number
  dir: string
}

/** Gateways started and not yet stopped, so a failing run still stops them (by pid). */
const children = new Set<ChildProcess>()

async function startGateway(influxUrl: string): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'tidegate-bench-'))
  const mqttPort = await freePort()
  const httpPort = await freePort()
  const config = join(dir, 'gateway.yaml')
  writeFileSync(
    config,
    [
      'version: 1',
      `mqtt: { listeners: [{ host: 127.0.0.1, port: ${mqttPort} }] }`,
      `influx: { url: "${influxUrl}", database: bench_startup }`,
      `http: { host: 127.0.0.1, port: ${httpPort} }`,
      `catalog: ${join(ROOT, 'devices')}`,
      `rules: ${join(ROOT, 'rules')}`,
      `dataDir: ${join(dir, 'data')}`,
      'log: { level: warn, pretty: false }',
      '',
    ].join('\n'),
  )
  const t0 = performance.now()
  const flags = opts['node-flags'].split(' ').filter(Boolean)
  const child = spawn(process.execPath, [...flags, CLI, 'run', '--config', config], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  })
  children.add(child)
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}`)
    if (await acceptsTcp(mqttPort)) break
    await new Promise((r) => setTimeout(r, 2))
  }
  const startMs = performance.now() - t0
  const startCpuS = cpuSeconds(child.pid as number)
  return { child, mqttPort, httpPort, startMs, startCpuS, dir }
}

async function stopGateway(g: Running): Promise<void> {
  if (g.child.exitCode === null && g.child.pid) {
    const exited = new Promise((r) => g.child.once('exit', r))
    process.kill(g.child.pid, 'SIGTERM')
    await exited
  }
  children.delete(g.child)
  rmSync(g.dir, { recursive: true, force: true })
}

/** Sum of a family's samples whose line contains every `having` text (e.g. a label pair). */
async function metric(g: Running, name: string, ...having: string[]): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${g.httpPort}/metrics`)).text()
  let sum = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name} `) && !line.startsWith(`${name}{`)) continue
    if (having.every((h) => line.includes(h))) sum += Number(line.split(' ').pop())
  }
  return sum
}

const DEVICES = 100

/**
 * Publishes at `rate` msg/s in 10 ms ticks from DEVICES clients (one connection per device, as on a site;
 * this also stays under the broker's per-client publish rate limit). Returns how many were sent.
 */
async function publishLoad(port: number, rate: number, seconds: number, onTick: () => void): Promise<number> {
  const clients = await Promise.all(
    Array.from({ length: DEVICES }, (_, i) => {
      const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId: `sim-${i}`, reconnectPeriod: 0 })
      return new Promise<mqtt.MqttClient>((res, rej) => {
        client.once('connect', () => res(client))
        client.once('error', rej)
      })
    }),
  )
  const perTick = rate / 100
  const start = performance.now()
  let sent = 0
  let tick = 0
  while (performance.now() - start < seconds * 1000) {
    tick++
    const due = Math.floor(perTick * tick)
    for (; sent < due; sent++) {
      const device = sent % DEVICES
      const payload = `{"temperature":${(20 + (sent % 50) / 10).toFixed(1)},"humidity":45,"seq":${Math.floor(sent / DEVICES)}}`
      clients[device]?.publish(`devices/sim-${device}/telemetry`, payload, { qos: 0 })
    }
    onTick()
    const wait = start + tick * 10 - performance.now()
    await new Promise((r) => setTimeout(r, Math.max(0, wait)))
  }
  await Promise.all(clients.map((c) => c.endAsync()))
  return sent
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`)
  const influxd: InfluxdHandle | null = opts.influx ? null : await startInfluxd()
  const influxUrl = opts.influx ?? (influxd as InfluxdHandle).url
  try {
    const nodeFloor: number[] = []
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now()
      spawnSync(process.execPath, ['-e', ''])
      nodeFloor.push(performance.now() - t0)
    }
    const starts: number[] = []
    const startCpu: number[] = []
    for (let i = 0; i < RUNS; i++) {
      const g = await startGateway(influxUrl)
      starts.push(g.startMs)
      startCpu.push(g.startCpuS * 1000)
      await stopGateway(g)
    }
    console.log(
      `start-to-listening (${RUNS} runs): median ${median(starts).toFixed(0)} ms, min ${Math.min(...starts).toFixed(0)} ms, max ${Math.max(...starts).toFixed(0)} ms` +
        ` (bare \`node -e ""\`: median ${median(nodeFloor).toFixed(0)} ms); CPU used until listening: median ` +
        `${median(startCpu).toFixed(0)} ms; load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores`,
    )

    const g = await startGateway(influxUrl)
    const pid = g.child.pid as number
    await new Promise((r) => setTimeout(r, 2000))
    const idle = rssMb(pid)
    console.log(`RSS idle: ${idle.toFixed(1)} MB (anonymous ${rssMb(pid, 'RssAnon').toFixed(1)} MB)`)
    const samples: number[] = []
    const anon: number[] = []
    let lastSample = 0
    const cpu0 = cpuSeconds(pid)
    const t0 = performance.now()
    const sent = await publishLoad(g.mqttPort, RATE, SECONDS, () => {
      const now = performance.now()
      if (now - lastSample >= 250) {
        lastSample = now
        samples.push(rssMb(pid))
        anon.push(rssMb(pid, 'RssAnon'))
      }
    })
    const elapsed = (performance.now() - t0) / 1000
    const cpu = (cpuSeconds(pid) - cpu0) / elapsed
    // The histogram resets on every scrape: read it first, so it covers the whole load phase.
    const lagP99 = await metric(g, 'tidegate_event_loop_delay_seconds', 'quantile="0.99"')
    const heapMb = (await metric(g, 'nodejs_heap_size_used_bytes')) / 1048576
    const pendingAtEnd = await metric(g, 'tidegate_outbox_pending_points')
    const drainStart = performance.now()
    let accepted = 0
    let delivered = 0
    while (performance.now() - drainStart < 60_000) {
      accepted = await metric(g, 'tidegate_messages_in_total', 'stream="telemetry"')
      delivered = await metric(g, 'tidegate_influx_points_delivered_total')
      if (accepted >= sent && delivered >= accepted) break
      await new Promise((r) => setTimeout(r, 200))
    }
    const drainS = (performance.now() - drainStart) / 1000
    // Messages the broker refused (e.g. a starved publisher's burst over the per-client rate limit) or dead-lettered.
    const refused = await metric(g, 'tidegate_mqtt_refusals_total')
    const dead = await metric(g, 'tidegate_dead_letters_total')
    const tail = samples.slice(Math.floor(samples.length / 2))
    console.log(
      `under load: ${sent} msgs in ${elapsed.toFixed(1)} s (${(sent / elapsed).toFixed(0)} msg/s offered), ` +
        `accepted ${accepted}, in InfluxDB ${delivered} (${pendingAtEnd} pending when load stopped, ` +
        `drained ${drainS.toFixed(1)} s later), refused ${refused}, dead letters ${dead}; ` +
        `gateway CPU ${(cpu * 100).toFixed(0)}% of one core`,
    )
    console.log(
      `RSS under load: max ${Math.max(...samples).toFixed(1)} MB, median of 2nd half ${median(tail).toFixed(1)} MB, ` +
        `end ${rssMb(pid).toFixed(1)} MB; anonymous max ${Math.max(...anon).toFixed(1)} MB, median of 2nd half ` +
        `${median(anon.slice(Math.floor(anon.length / 2))).toFixed(1)} MB; JS heap used at end of load ${heapMb.toFixed(1)} MB; ` +
        `event-loop delay p99 during load ${(lagP99 * 1000).toFixed(1)} ms`,
    )
    await stopGateway(g)
  } finally {
    for (const child of children) if (child.pid && child.exitCode === null) process.kill(child.pid, 'SIGKILL')
    await influxd?.stop()
  }
}

await main()
