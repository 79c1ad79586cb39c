import { loadavg } from 'node:os'
import { scrape } from '../e2e/gateway-process.js'
import { ProcSampler, readProc } from '../e2e/proc-sampler.js'
import { forkBenchChild, waitMessage } from './processes.js'
import { Reactions } from './reactions.js'

export interface CaseLoad {
  port: number
  connections: number
  devices: number
  rate: number
  seconds: number
  /** rule: the gateway's hot rule publishes; relay: a plain broker forwards the hot readings. */
  mode: 'rule' | 'relay'
  /** Server process to sample (RSS, CPU). */
  pid: number
  /** Gateway /metrics (event-loop delay over the run); none for the baseline. */
  metricsUrl?: string
  /** Warm the gateway up before the measured run (publisher.ts, Options.warm). */
  warm?: 'other' | 'same' | undefined
  /** Counts what landed in InfluxDB once the load ended (gateway only). */
  landed?: (sent: number) => Promise<number>
}

/** Reactions after this much of the run count as steady state (see CaseResult.steadyReaction). */
export const STEADY_AFTER_MS = 5000

export interface CaseResult {
  sent: number
  /** Bytes the publisher still held when it gave up waiting (a broker far behind); not the broker's loss. */
  unsentBytes: number
  landed?: number
  hotSent: number
  hotReceived: number
  reaction?: { p50: number; p99: number; max: number }
  /**
   * Reactions to readings sent after the first STEADY_AFTER_MS: without the start, when all 1000 bench
   * devices are new at once (registry, availability, per-device state, JIT) and the first second queues.
   */
  steadyReaction?: { p50: number; p99: number; max: number } | undefined
  /** Seconds of the run with reactions over 20 ms (Reactions.slowSeconds). */
  slowSeconds?: { second: number; slow: number; worstMs: number }[]
  /**
   * Event-loop delay from STEADY_AFTER_MS until everything was sent and taken, before the publisher's
   * connections close (as steadyReaction: the start, with connections arriving and code warming up, left
   * out), and the max in those first ms.
   */
  eventLoopMs?: { p99: number; max: number; startMax: number }
  rssPeakMB: number
  anonPeakMB: number
  filePeakMB: number
  rssEndMB: number
  cpu: number
  /** The main thread's share of a core (the event loop); `cpu` adds GC helpers, LMDB, the libuv pool. */
  mainCpu: number
  /** 1-minute load average when the case ended (the box is shared). */
  load: number
  /** Soak: RSS every 10 s. */
  rssTrendMB: number[]
  /** Gateway V8 heap by space (used MB) and external memory when the load ended. */
  heapMB?: Record<string, number>
}

function heapOf(metrics: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [k, v] of metrics) {
    const space = /^nodejs_heap_space_size_used_bytes\{space="(\w+)"\}$/.exec(k)?.[1]
    if (space && v > 0) out[space] = v / 1_048_576
  }
  const external = metrics.get('nodejs_external_memory_bytes')
  if (external !== undefined) out['external'] = external / 1_048_576
  return out
}

/** One load run: subscriber and paced publisher in their own processes against a running server. */
export async function runCase(c: CaseLoad): Promise<CaseResult> {
  const reactions = new Reactions()
  const subscriber = forkBenchChild('bench/footprint/subscriber.ts', { port: c.port, mode: c.mode })
  subscriber.on('message', (m: { got?: number[] }) => m.got && reactions.addReceived(m.got))
  const publisher = forkBenchChild('bench/footprint/publisher.ts', {
    port: c.port,
    connections: c.connections,
    devices: c.devices,
    rate: c.rate,
    seconds: c.seconds,
    ...(c.warm ? { warm: c.warm } : {}),
  })
  publisher.on('message', (m: { hot?: number[] }) => m.hot && reactions.addSent(m.hot))
  try {
    // Both listened for at once: a child that is ready first must not send its "ready" unheard.
    await Promise.all([
      waitMessage<{ ready?: boolean }>(subscriber, (m) => m.ready === true),
      waitMessage<{ ready?: boolean }>(publisher, (m) => m.ready === true),
    ])
    const sampler = new ProcSampler(c.pid, 200)
    const trend: number[] = []
    const trendTimer = setInterval(() => trend.push((readProc(c.pid)?.rssBytes ?? 0) / 1_048_576), 10_000)
    sampler.start()
    if (c.metricsUrl) await scrape(c.metricsUrl) // starts a fresh event-loop-delay window
    const done = waitMessage<{ done?: boolean; sent: number; warmSent: number; unsentBytes: number }>(
      publisher,
      (m) => m.done === true,
    )
    publisher.send({ go: true })
    // The gateway's event-loop window restarts at each scrape: one at STEADY_AFTER_MS splits the run into
    // the start (connections arriving, code warming up) and the steady part, as for the reactions.
    const metricsUrl = c.metricsUrl
    const startWindow = metricsUrl ? sleep(STEADY_AFTER_MS).then(() => scrape(metricsUrl)) : undefined
    // ...and one when everything was sent and taken, before the publisher disconnects: the steady window.
    const loadWindow = waitMessage<{ beforeDisconnect?: boolean }>(
      publisher,
      (m) => m.beforeDisconnect === true,
    )
      .then(async () => (metricsUrl ? await scrape(metricsUrl) : undefined))
      .finally(() => publisher.connected && publisher.send({ disconnect: true }))
    loadWindow.catch(() => undefined) // awaited below; a publisher that died is reported by `done`
    const { sent, warmSent, unsentBytes } = await done
    // Reactions still on their way; then what the last IPC batches carry.
    const until = Date.now() + 5000
    while (reactions.received < reactions.hotSent && Date.now() < until) await sleep(100)
    await sleep(300)
    const metrics = c.metricsUrl ? await scrape(c.metricsUrl) : undefined
    // The warm-up's readings land too: counted as sent, so "points lost" still compares like with like.
    const landed = c.landed ? await c.landed(sent + warmSent) : undefined
    clearInterval(trendTimer)
    const proc = sampler.stop()
    const start = await startWindow
    const delay = (m: Map<string, number> | undefined, q: string) =>
      (m?.get(`tidegate_event_loop_delay_seconds{quantile="${q}"}`) ?? Number.NaN) * 1000
    const steady = await loadWindow
    const el = (q: string) => delay(steady, q)
    const reaction = reactions.percentiles()
    return {
      sent: sent + warmSent,
      unsentBytes,
      ...(landed !== undefined ? { landed } : {}),
      hotSent: reactions.hotSent,
      hotReceived: reactions.received,
      ...(reaction
        ? {
            reaction,
            steadyReaction: reactions.percentiles(STEADY_AFTER_MS),
            slowSeconds: reactions.slowSeconds(),
          }
        : {}),
      ...(steady ? { eventLoopMs: { p99: el('0.99'), max: el('1'), startMax: delay(start, '1') } } : {}),
      rssPeakMB: proc.rssPeakMB,
      anonPeakMB: proc.anonPeakMB,
      filePeakMB: proc.filePeakMB,
      rssEndMB: (readProc(c.pid)?.rssBytes ?? 0) / 1_048_576,
      cpu: proc.cpu,
      mainCpu: proc.mainCpu,
      load: loadavg()[0] ?? 0,
      rssTrendMB: trend,
      ...(metrics ? { heapMB: heapOf(metrics) } : {}),
    }
  } finally {
    for (const child of [publisher, subscriber]) if (child.exitCode === null) child.kill('SIGTERM')
  }
}

/** RSS of an idle server before and after `connections` idle MQTT clients connect: the cost of one. */
export async function perConnectionCost(port: number, pid: number, connections: number) {
  await sleep(2000)
  const before = readProc(pid)
  const publisher = forkBenchChild('bench/footprint/publisher.ts', {
    port,
    connections,
    devices: connections,
    rate: 0,
    seconds: 3,
  })
  try {
    await waitMessage<{ ready?: boolean }>(publisher, (m) => m.ready === true)
    await sleep(3000)
    const after = readProc(pid)
    const kb = (b?: number, a?: number) => ((a ?? 0) - (b ?? 0)) / 1024 / connections
    return {
      rssKB: kb(before?.rssBytes, after?.rssBytes),
      anonKB: kb(before?.anonBytes, after?.anonBytes),
      baseRssMB: (before?.rssBytes ?? 0) / 1_048_576,
    }
  } finally {
    if (publisher.exitCode === null) publisher.kill('SIGTERM')
  }
}

/** V8 heap in use (MB) from the gateway's /metrics. */
export async function heapUsedMB(metricsUrl: string): Promise<number> {
  return ((await scrape(metricsUrl)).get('nodejs_heap_size_used_bytes') ?? Number.NaN) / 1_048_576
}

/**
 * Heap the gateway keeps per tracked device: `messages` readings from `devices` distinct devices,
 * heap in use read 5 s later. bench/footprint.ts runs it for many and for few devices (same number of
 * messages, so the same garbage) and divides the difference.
 */
export async function heapAfterDevices(port: number, metricsUrl: string, devices: number, messages: number) {
  await sleep(3000)
  const before = await heapUsedMB(metricsUrl)
  const publisher = forkBenchChild('bench/footprint/publisher.ts', {
    port,
    connections: 10,
    devices,
    rate: 5000,
    seconds: messages / 5000,
  })
  try {
    await waitMessage<{ ready?: boolean }>(publisher, (m) => m.ready === true)
    const done = waitMessage<{ done?: boolean }>(publisher, (m) => m.done === true)
    waitMessage<{ beforeDisconnect?: boolean }>(publisher, (m) => m.beforeDisconnect === true)
      .then(() => publisher.connected && publisher.send({ disconnect: true }))
      .catch(() => undefined)
    publisher.send({ go: true })
    await done
    await sleep(5000)
    return { before, after: await heapUsedMB(metricsUrl) }
  } finally {
    if (publisher.exitCode === null) publisher.kill('SIGTERM')
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
