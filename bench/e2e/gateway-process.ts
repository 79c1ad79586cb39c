import { type ChildProcess, spawn } from 'node:child_process'
import { connect } from 'node:net'

/** The gateway (or the bare Aedes baseline) as a child process, so its CPU and RSS are its own. */
export interface ChildServer {
  pid: number
  child: ChildProcess
  /** Exit code or signal, and the first line of the error on stderr, once it exited. */
  exitReason(): string
  stop(): Promise<void>
}

export async function waitForPort(port: number, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode} before listening`)
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy()
        resolve(true)
      })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`nothing listening on ${port} after ${timeoutMs} ms`)
}

/** Starts `node --import tsx <args>` (plain `node <args>` for built JS) and waits until `port` accepts connections. */
export async function startChild(
  args: string[],
  port: number,
  nodeFlags: string[] = [],
  tsx = true,
): Promise<ChildServer> {
  const child = spawn(process.execPath, [...nodeFlags, ...(tsx ? ['--import', 'tsx'] : []), ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000)
  })
  try {
    await waitForPort(port, child)
  } catch (err) {
    if (child.pid && child.exitCode === null) process.kill(child.pid, 'SIGKILL')
    throw new Error(`${(err as Error).message}\n${stderr}`)
  }
  const pid = child.pid ?? -1
  // A child that dies mid-run says why (the bench would otherwise only see refused connections).
  child.once('exit', (code, signal) => {
    if (!stopping)
      process.stderr.write(`[bench] ${args[0]} (pid ${pid}) exited: ${code ?? signal}\n${stderr}\n`)
  })
  let stopping = false
  return {
    pid,
    child,
    exitReason() {
      const firstError = /^\w*Error: .*$/m.exec(stderr)?.[0] ?? stderr.trim().split('\n').at(-1) ?? ''
      return `${child.exitCode ?? child.signalCode}: ${firstError}`
    },
    async stop() {
      stopping = true
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      process.kill(pid, 'SIGTERM')
      // A graceful stop flushes to InfluxDB and (with --cpu-prof) writes the profile; then give up.
      const timer = setTimeout(() => child.exitCode === null && process.kill(pid, 'SIGKILL'), 30_000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** Whether the gateway's /healthz answers within 5 s (a wedged event loop does not). */
export async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(5000) })).ok
  } catch {
    return false
  }
}

/** Reads one Prometheus text exposition into name{labels} → value. */
export async function scrape(url: string): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) })
    if (!res.ok) return out
    for (const line of (await res.text()).split('\n')) {
      if (!line || line.startsWith('#')) continue
      const i = line.lastIndexOf(' ')
      out.set(line.slice(0, i), Number(line.slice(i + 1)))
    }
  } catch {
    // no metrics endpoint: the report says so
  }
  return out
}

/** Sum of the series of a metric family (those whose labels contain `label`, when given). */
export function family(metrics: Map<string, number>, name: string, label?: string): number | undefined {
  let sum: number | undefined
  for (const [k, v] of metrics)
    if ((k === name || k.startsWith(`${name}{`)) && (!label || k.includes(label))) sum = (sum ?? 0) + v
  return sum
}
