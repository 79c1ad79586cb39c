import type { ChildProcess } from 'node:child_process'
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
