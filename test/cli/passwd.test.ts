import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { verifyPassword } from '../../src/broker/passwords.js'

function runPasswd(
  args: string[],
  stdin: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'passwd', ...args])
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
    })
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(stdin)
  })
}

describe('tidegate passwd', () => {
  it('prints an scrypt hash of the password read on stdin that verifies', async () => {
    const { code, stdout } = await runPasswd([], 'pa ss wörd\n')
    expect(code).toBe(0)
    const hash = stdout.trim()
    expect(hash).toMatch(/^\$scrypt\$N=16384,r=8,p=1\$/)
    expect(await verifyPassword('pa ss wörd', hash)).toBe(true)
    expect(await verifyPassword('pa ss wörd\n', hash)).toBe(false)
  })

  it('refuses a password on the command line (it would show in ps) and an empty one', async () => {
    const argv = await runPasswd(['hunter2'], '')
    expect(argv.code).toBe(2)
    expect(argv.stderr).toMatch(/^TG_CLI_USAGE: .*read from stdin/)
    const empty = await runPasswd([], '')
    expect(empty.code).toBe(1)
    expect(empty.stdout).toBe('')
    expect(empty.stderr).toBe('TG_CLI_PASSWORD: empty password\n')
  })
})
