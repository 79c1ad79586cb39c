import { execFile } from 'node:child_process'
import { join } from 'node:path'

const repo = process.cwd()
// Resolved here: the child may run in a temp folder where a bare `tsx` would not be found.
const tsx = import.meta.resolve('tsx')

/** Runs the real CLI (`tsx src/cli/main.ts`) as a child process in `cwd`; never throws on a non-zero exit. */
export function runCli(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', tsx, join(repo, 'src/cli/main.ts'), ...args],
      { cwd: options.cwd, env: { PATH: process.env['PATH'], ...options.env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0
        resolve({ code, stdout, stderr })
      },
    )
  })
}
