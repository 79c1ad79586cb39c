import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'

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
