import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, lstatSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'

/**
 * Two connected pseudo-terminals made by `socat` (Debian package `socat`): what one side writes, the
 * other reads, like a USB-serial adapter and the sensor on its far end. The links are symlinks to
 * /dev/pts/N; they disappear when socat stops, which is exactly what an unplug looks like.
 */
export interface PtyPair {
  /** The end the gateway opens (its config `port:`). */
  readonly gatewayPath: string
  /** The end the simulated device writes to. */
  readonly devicePath: string
  readonly pid: number
  /** Stops socat (by pid) and waits until it has exited and removed the links. */
  stop(): Promise<void>
}

async function waitFor(
  check: () => boolean,
  what: string,
  child: ChildProcess,
  timeoutMs: number,
): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!check()) {
    if (child.exitCode !== null) throw new Error(`socat exited with ${child.exitCode} before ${what}`)
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

const linkExists = (p: string) => {
  try {
    return lstatSync(p).isSymbolicLink() && existsSync(p)
  } catch {
    return false
  }
}

export async function startPtyPair(
  gatewayPath: string,
  devicePath = `${gatewayPath}.device`,
): Promise<PtyPair> {
  mkdirSync(dirname(gatewayPath), { recursive: true })
  mkdirSync(dirname(devicePath), { recursive: true })
  const child = spawn('socat', [`pty,raw,echo=0,link=${gatewayPath}`, `pty,raw,echo=0,link=${devicePath}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000)
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  try {
    await waitFor(() => linkExists(gatewayPath) && linkExists(devicePath), 'the pty links', child, 5000)
  } catch (err) {
    if (child.pid && child.exitCode === null) process.kill(child.pid, 'SIGKILL')
    throw new Error(`${(err as Error).message}\n${stderr}`)
  }
  const pid = child.pid as number
  return {
    gatewayPath,
    devicePath,
    pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGTERM')
      await exited
    },
  }
}
