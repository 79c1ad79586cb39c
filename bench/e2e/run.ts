import { type ChildProcess, fork } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { type LoadResult, runLoad } from '../../simulator/src/load/load-generator.js'
import { InfluxHttpClient } from '../../src/sinks/influx/http-client.js'
import { freePort } from '../../test/helpers/free-port.js'
import { startInfluxd } from '../../test/helpers/influxd.js'
import { AlertProbe } from './alert-probe.js'
import { writeBenchConfig } from './bench-config.js'
import { summariseProfile } from './cpu-profile.js'
import { answers, family, scrape, startChild, waitForPort } from './gateway-process.js'
import { ProcSampler } from './proc-sampler.js'
import { type BenchReport, type StepResult, writeReport } from './report.js'

/**
 * `npm run bench`: throwaway influxd, the gateway as a child process with the shipped rules, the load
 * scenario at stepped rates (QoS 0 and 1), the same load against bare Aedes, and a CPU profile of the
 * gateway at the highest rate. Report: bench/results/report.{json,md} + chart.svg.
 */
const { values: args } = parseArgs({
  options: {
    rates: { type: 'string', default: '5000,10000,20000,40000,80000' },
    qos: { type: 'string', default: '0,1' },
    step: { type: 'string', default: '15' },
    devices: { type: 'string', default: '1000' },
    workers: { type: 'string', default: '2' },
    out: { type: 'string', default: 'bench/results' },
    'skip-aedes': { type: 'boolean', default: false },
    'skip-profile': { type: 'boolean', default: false },
    // The gateway entry point (e.g. dist/src/cli/main.js, or a wrapper for an experiment).
    'gateway-entry': { type: 'string', default: 'src/cli/main.ts' },
  },
})
const rates = args.rates.split(',').map(Number)
const qosList = args.qos.split(',').map((q) => (q === '1' ? 1 : 0)) as (0 | 1)[]
const stepMs = Number(args.step) * 1000
const devices = Number(args.devices)
const workers = Number(args.workers)
const SCENARIO = 'simulator/scenarios/load.yaml'
const log = (s: string) => process.stdout.write(`[bench] ${s}\n`)

const started = new Date()
const notes: string[] = []
const steps: StepResult[] = []
let seqBase = 0
const nextSeqBase = () => {
  seqBase += 100_000_000
  return seqBase
}

const load = (url: string, rate: number, qos: 0 | 1, durationMs = stepMs): Promise<LoadResult> =>
  runLoad({ url, scenarioFile: SCENARIO, devices, rate, durationMs, qos, workers, seqBase: nextSeqBase() })

/** Polls InfluxDB until the step's points stop arriving (or all have arrived). */
async function countPoints(
  influx: InfluxHttpClient,
  from: number,
  to: number,
  expected: number,
): Promise<number> {
  const q = (m: string, f: string) =>
    `SELECT count("${f}") FROM ${m} WHERE "device" =~ /^load-/ AND time >= ${from}ms AND time <= ${to}ms`
  let last = -1
  let stable = 0
  const until = Date.now() + 60_000
  for (;;) {
    let n = 0
    for (const [m, f] of [
      ['climate', 'temperature'],
      ['power', 'power'],
    ] as const) {
      const res = await influx.query(q(m, f))
      n += Number(res.results[0]?.series?.[0]?.values?.[0]?.[1] ?? 0)
    }
    stable = n === last ? stable + 1 : 0
    last = n
    // A lagging writer may deliver nothing for a while: only a count that moved and then stopped is final.
    if (n >= expected || (n > 0 && stable >= 4) || Date.now() > until) return n
    await new Promise((r) => setTimeout(r, 1000))
  }
}

/** One QoS series on a fresh gateway: rates ascending until the gateway fails (then it is restarted for the next series). */
async function gatewaySeries(influxUrl: string, dir: string, qos: 0 | 1): Promise<void> {
  const mqttPort = await freePort()
  const httpPort = await freePort()
  const config = writeBenchConfig(join(dir, `qos${qos}`), {
    mqttPort,
    httpPort,
    influxUrl,
    database: 'bench',
  })
  // --report-on-signal: a wedged gateway gets SIGUSR2 and may leave a diagnostic report.
  const reportDir = join(args.out, 'diagnostics')
  const gateway = await startChild([args['gateway-entry'], 'run', '--config', config], mqttPort, [
    '--report-on-signal',
    `--report-directory=${reportDir}`,
  ])
  const url = `mqtt://127.0.0.1:${mqttPort}`
  const metricsUrl = `http://127.0.0.1:${httpPort}/metrics`
  const influx = new InfluxHttpClient({ url: influxUrl, database: 'bench', timeoutMs: 30_000 })
  const failed = async (rate: number, why: string) => {
    if (gateway.child.exitCode === null) {
      process.kill(gateway.pid, 'SIGUSR2')
      await new Promise((r) => setTimeout(r, 3000))
    }
    const note = `QoS ${qos} at ${rate} msg/s: ${why}; higher rates of this series skipped (the stderr tail is in the bench output; node report, if one could be written: ${reportDir})`
    notes.push(note)
    log(note)
  }
  try {
    for (const rate of rates) {
      const sampler = new ProcSampler(gateway.pid)
      const probe = new AlertProbe(url, nextSeqBase())
      try {
        log(`gateway QoS ${qos} at ${rate} msg/s ...`)
        const before = await scrape(metricsUrl) // also starts a fresh event-loop-delay window
        await probe.start()
        sampler.start()
        const t0 = Date.now()
        const res = await load(url, rate, qos)
        const t1 = Date.now()
        const proc = sampler.stop()
        await probe.stop()
        const after = await scrape(metricsUrl)
        const inDelta =
          (family(after, 'tidegate_messages_in_total', 'stream="telemetry"') ?? 0) -
          (family(before, 'tidegate_messages_in_total', 'stream="telemetry"') ?? 0)
        // Workers stamp ts from their clock (this machine's) between t0 and t1: the range is exact, so a
        // neighbouring step's points never count here.
        const points = await countPoints(influx, t0, t1 + 1, res.sent)
        const loss = res.sent > 0 ? Math.max(0, 1 - points / res.sent) : 0
        const p99 = after.get('tidegate_event_loop_delay_seconds{quantile="0.99"}')
        const max = after.get('tidegate_event_loop_delay_seconds{quantile="1"}')
        const step: StepResult = {
          target: 'gateway',
          qos,
          offered: rate,
          sendRate: res.rate,
          received: inDelta > 0 ? (inDelta * 1000) / res.elapsedMs : (points * 1000) / res.elapsedMs,
          sent: res.sent,
          acked: qos === 1 ? res.acked : undefined,
          points,
          loss,
          lossless: points >= res.sent && res.rate >= rate * 0.95,
          alertLatencyMs: probe.percentiles(),
          ...proc,
          eventLoopMs:
            p99 === undefined || max === undefined ? undefined : { p99: p99 * 1000, max: max * 1000 },
          generatorCpu: res.cpuShare,
          closedConnections: res.closed,
          durationS: res.elapsedMs / 1000,
        }
        steps.push(step)
        if (gateway.child.exitCode !== null)
          return await failed(rate, `the gateway exited (${gateway.exitReason()})`)
        if (!(await answers(`http://127.0.0.1:${httpPort}/healthz`)))
          return await failed(rate, 'the gateway stopped answering /healthz (event loop wedged)')
        log(
          `  sent ${res.sent} (${Math.round(res.rate)}/s), points ${points}, loss ${(loss * 100).toFixed(2)} %, ` +
            `alert p99 ${step.alertLatencyMs?.p99.toFixed(1) ?? '–'} ms, CPU ${proc.cpu.toFixed(2)}, RSS ${proc.rssPeakMB.toFixed(0)} MB`,
        )
      } catch (err) {
        sampler.stop()
        await probe.stop().catch(() => undefined)
        return await failed(rate, `step failed: ${(err as Error).message.split('\n')[0]}`)
      }
    }
  } finally {
    await gateway.stop()
  }
}

async function aedesSteps(): Promise<void> {
  const port = await freePort()
  const child: ChildProcess = fork('bench/e2e/bare-aedes.ts', [String(port)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  const count = () =>
    new Promise<number>((resolve) => {
      const onMessage = (m: { cmd: string; received: number }) => {
        if (m.cmd !== 'count') return // e.g. the startup 'listening' message
        child.off('message', onMessage)
        resolve(m.received)
      }
      child.on('message', onMessage)
      child.send({ cmd: 'count' })
    })
  try {
    await waitForPort(port, child)
    const url = `mqtt://127.0.0.1:${port}`
    for (const qos of qosList) {
      for (const rate of rates) {
        log(`bare Aedes QoS ${qos} at ${rate} msg/s ...`)
        const sampler = new ProcSampler(child.pid ?? -1)
        const c0 = await count()
        sampler.start()
        const res = await load(url, rate, qos)
        const proc = sampler.stop()
        const received = (await count()) - c0
        steps.push({
          target: 'aedes',
          qos,
          offered: rate,
          sendRate: res.rate,
          received: (received * 1000) / res.elapsedMs,
          sent: res.sent,
          lossless: received >= res.sent && res.rate >= rate * 0.95,
          ...proc,
          generatorCpu: res.cpuShare,
          closedConnections: res.closed,
          durationS: res.elapsedMs / 1000,
        })
        log(`  sent ${res.sent}, broker received ${received}`)
      }
    }
  } finally {
    if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGTERM')
  }
}

async function profileStep(influxUrl: string, dir: string, rate: number): Promise<BenchReport['profile']> {
  const mqttPort = await freePort()
  const httpPort = await freePort()
  const config = writeBenchConfig(join(dir, 'profile'), {
    mqttPort,
    httpPort,
    influxUrl,
    database: 'bench_profile',
  })
  const profDir = join(dir, 'cpuprof')
  const gateway = await startChild([args['gateway-entry'], 'run', '--config', config], mqttPort, [
    '--cpu-prof',
    '--cpu-prof-dir',
    profDir,
  ])
  log(`CPU profile of the gateway at ${rate} msg/s QoS 0 ...`)
  try {
    await load(`mqtt://127.0.0.1:${mqttPort}`, rate, 0, Math.min(stepMs, 10_000))
  } finally {
    await gateway.stop()
  }
  const summary = summariseProfile(profDir)
  if (!summary) return undefined
  // Keep the profile next to the report (the work dir is removed); open it in Chrome DevTools.
  mkdirSync(args.out, { recursive: true })
  const kept = join(args.out, 'gateway.cpuprofile')
  copyFileSync(summary.file, kept)
  return { ...summary, file: kept, rate, qos: 0 }
}

function highest(target: 'gateway' | 'aedes', qos: 0 | 1, lossless: boolean): StepResult | undefined {
  return steps
    .filter((s) => s.target === target && s.qos === qos && (!lossless || s.lossless))
    .sort((a, b) => b.received - a.received)[0]
}

async function main(): Promise<void> {
  const influxd = await startInfluxd()
  const dir = mkdtempSync(join(tmpdir(), 'tidegate-bench-'))
  log(`influxd ${influxd.url} (pid ${influxd.pid}); work dir ${dir}`)
  let profile: BenchReport['profile']
  // Each phase may fail on its own (a wedged gateway, a missing profile); the report keeps the rest.
  const phase = async (name: string, f: () => Promise<void>) => {
    try {
      await f()
    } catch (err) {
      notes.push(`${name} failed: ${(err as Error).message.split('\n')[0]}`)
      log(`${name} failed: ${(err as Error).message}`)
    }
  }
  try {
    for (const qos of qosList)
      await phase(`gateway QoS ${qos} series`, () => gatewaySeries(influxd.url, dir, qos))
    if (!args['skip-aedes']) await phase('bare Aedes steps', aedesSteps)
    if (!args['skip-profile'])
      await phase('CPU profile', async () => {
        // Profiled at the highest rate the gateway sustained (a collapsing gateway writes no profile).
        const rate = highest('gateway', 0, true)?.offered ?? Math.min(...rates)
        profile = await profileStep(influxd.url, dir, rate)
        if (!profile) notes.push('CPU profile: the gateway wrote none (it did not exit normally)')
      })
  } finally {
    await influxd.stop()
  }
  const ratio = (qos: 0 | 1) => {
    const g = highest('gateway', qos, true)
    const a = highest('aedes', qos, false)
    return g && a && a.received > 0 ? g.received / a.received : undefined
  }
  const report: BenchReport = {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? '?',
      loadAvgAtStart: loadavg(),
      node: process.version,
    },
    settings: { devices, stepSeconds: stepMs / 1000, workers, rates, qos: qosList },
    steps,
    highestLossless: {
      qos0: highest('gateway', 0, true)?.offered,
      qos1: highest('gateway', 1, true)?.offered,
    },
    ratioToAedes: { qos0: ratio(0), qos1: ratio(1) },
    profile,
    notes,
  }
  for (const f of writeReport(args.out, report).slice(0, 3)) log(`wrote ${f}`)
  rmSync(dir, { recursive: true, force: true })
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exitCode = 1
})
