import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import type { MqttClient } from 'mqtt'
import { connectClient } from './mqtt.js'

const repo = process.cwd()
const tsx = import.meta.resolve('tsx')

export interface GatewayProcess {
  child: ChildProcess & { pid: number }
  /** Resolves with the exit code. */
  exited: Promise<number | null>
  /** Everything the process printed so far (stdout and stderr). */
  output(): string
  /** Kills it (SIGKILL) if still running: for cleanup. */
  kill(): void
}

/** Starts the real CLI (`tidegate run --config FILE`) as a child process; resolves once it is listening. */
export async function startGatewayProcess(config: string, cwd: string): Promise<GatewayProcess> {
  const child = spawn(
    process.execPath,
    ['--import', tsx, join(repo, 'src/cli/main.ts'), 'run', '--config', config],
    {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  let output = ''
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString()
  })
  const kill = () => {
    if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL')
  }
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      kill()
      reject(new Error(`gateway did not start:\n${output}`))
    }, 60_000)
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString()
      if (output.includes('tidegate listening')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', () => reject(new Error(`gateway exited:\n${output}`)))
  })
  return { child: child as ChildProcess & { pid: number }, exited, output: () => output, kill }
}

/**
 * The real CLI as a child process without waiting for it (for logs at warn, where "tidegate listening"
 * is not printed: pair with connectWhenUp); the cleanup stops it by pid (SIGKILL).
 */
export function spawnGatewayProcess(
  configFile: string,
  cleanup: { push(fn: () => unknown): void },
): { child: ChildProcess; output: () => string } {
  const child = spawn(
    process.execPath,
    ['--import', tsx, join(repo, 'src/cli/main.ts'), 'run', '--config', configFile],
    {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let output = ''
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-8000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  cleanup.push(async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) await kill9(child)
  })
  return { child, output: () => output }
}

/** Connects once the gateway (a child process) listens. */
export async function connectWhenUp(url: string, timeoutMs: number): Promise<MqttClient> {
  const until = Date.now() + timeoutMs
  for (;;) {
    try {
      return await connectClient(url)
    } catch (err) {
      if (Date.now() > until) throw err
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}

/** SIGKILL by pid; resolves when it exited. */
export async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r))
  process.kill(child.pid as number, 'SIGKILL')
  await exited
}
