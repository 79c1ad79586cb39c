import type { ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { connect } from 'node:net'

/** True once something accepts TCP connections on 127.0.0.1:port. */
export function portListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1')
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

/** Stops a server child by pid: SIGTERM, SIGKILL after 3 s; resolves when it exited. */
export async function stopChild(c: ChildProcess | null): Promise<void> {
  if (!c?.pid || c.exitCode !== null || c.signalCode !== null) return
  const exited = new Promise((r) => c.once('exit', r))
  process.kill(c.pid, 'SIGTERM')
  const timer = setTimeout(() => c.pid && c.exitCode === null && process.kill(c.pid, 'SIGKILL'), 3000)
  await exited
  clearTimeout(timer)
}

/** A server child a test can stop and start again on the same port (an outage), then dispose of. */
export interface RestartableServer {
  port: number
  url: string
  readonly pid: number
  /** Stops it by pid (SIGTERM, then SIGKILL); the port stays known so start() can bring it back. */
  stop(): Promise<void>
  /** Starts it again on the same port. */
  start(): Promise<void>
  /** Stops it and removes its temp folder. */
  dispose(): Promise<void>
}

/**
 * Runs `spawnServer()` (stdout and stderr piped: their tail explains a failed start) until `port`
 * accepts connections, 10 s at most; `dir` is the server's temp folder, removed by dispose().
 */
export async function startRestartable(o: {
  name: string
  port: number
  url: string
  dir: string
  spawnServer: () => ChildProcess
}): Promise<RestartableServer> {
  let child: ChildProcess | null = null
  let output = ''
  const start = async () => {
    const c = o.spawnServer()
    child = c
    const keep = (d: Buffer) => {
      output = (output + d.toString()).slice(-4000)
    }
    c.stdout?.on('data', keep)
    c.stderr?.on('data', keep)
    const until = Date.now() + 10_000
    while (!(await portListening(o.port))) {
      if (c.exitCode !== null || Date.now() > until) throw new Error(`${o.name} did not start: ${output}`)
      await new Promise((r) => setTimeout(r, 30))
    }
  }
  const stop = async () => {
    const c = child
    child = null
    await stopChild(c)
  }
  await start()
  return {
    port: o.port,
    url: o.url,
    get pid() {
      return child?.pid ?? -1
    },
    stop,
    start,
    async dispose() {
      await stop()
      rmSync(o.dir, { recursive: true, force: true })
    },
  }
}
