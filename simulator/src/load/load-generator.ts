import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { FromWorker, LoadWorkerResult, LoadWorkerSetup } from './protocol.js'

export interface LoadOptions {
  url: string
  scenarioFile: string
  seed?: number
  devices: number
  /** Total msg/s across all workers. */
  rate: number
  durationMs: number
  qos: 0 | 1
  /** Worker processes (default 2): one process would bottleneck before the broker does. */
  workers?: number
  seqBase?: number
}

export interface LoadResult {
  sent: number
  acked: number
  elapsedMs: number
  /** Achieved send rate (msg/s). */
  rate: number
  maxBehind: number
  closed: number
  /** CPU the generator used, as a share of one core. */
  cpuShare: number
  workers: LoadWorkerResult[]
}

const WORKER = fileURLToPath(
  new URL(`./load-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
)

function once<T extends FromWorker['cmd']>(
  child: ChildProcess,
  cmd: T,
): Promise<Extract<FromWorker, { cmd: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: FromWorker) => {
      if (m.cmd === 'error') {
        cleanup()
        reject(new Error(`load worker ${child.pid}: ${m.message}`))
      } else if (m.cmd === cmd) {
        cleanup()
        resolve(m as Extract<FromWorker, { cmd: T }>)
      }
    }
    const onExit = (code: number | null) => {
      cleanup()
      reject(new Error(`load worker ${child.pid} exited (${code}) before "${cmd}"`))
    }
    const cleanup = () => {
      child.off('message', onMessage)
      child.off('exit', onExit)
    }
    child.on('message', onMessage)
    child.on('exit', onExit)
  })
}

/**
 * Runs the load scenario from several processes, each with its slice of the devices (one MQTT
 * connection per device), started together so the offered rate is the sum from the first tick.
 */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const n = Math.max(1, Math.min(o.workers ?? 2, o.devices))
  const execArgv = WORKER.endsWith('.ts') ? ['--import', 'tsx'] : []
  const children = Array.from({ length: n }, () =>
    fork(WORKER, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  )
  try {
    const per = Math.ceil(o.devices / n)
    await Promise.all(
      children.map((child, i) => {
        const setup: LoadWorkerSetup = {
          cmd: 'setup',
          url: o.url,
          scenarioFile: o.scenarioFile,
          seed: o.seed ?? 7,
          devices: o.devices,
          from: i * per,
          to: Math.min(o.devices, (i + 1) * per),
          rate: o.rate / n,
          durationMs: o.durationMs,
          qos: o.qos,
          seqBase: o.seqBase ?? 0,
        }
        const ready = once(child, 'ready')
        child.send(setup)
        return ready
      }),
    )
    const done = children.map((child) => once(child, 'done'))
    for (const child of children) child.send({ cmd: 'go' })
    const results = (await Promise.all(done)).map((d) => d.result)
    const sum = (f: (r: LoadWorkerResult) => number) => results.reduce((s, r) => s + f(r), 0)
    const elapsedMs = Math.max(...results.map((r) => r.elapsedMs))
    return {
      sent: sum((r) => r.sent),
      acked: sum((r) => r.acked),
      elapsedMs,
      rate: (sum((r) => r.sent) * 1000) / elapsedMs,
      maxBehind: sum((r) => r.maxBehind),
      closed: sum((r) => r.closed),
      cpuShare: sum((r) => r.cpuMs) / elapsedMs,
      workers: results,
    }
  } finally {
    for (const child of children) if (child.exitCode === null && child.pid) child.kill('SIGTERM')
  }
}
