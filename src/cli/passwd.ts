import { hashPassword } from '../broker/passwords.js'
import { errorLine } from './cli-error.js'

const USAGE = `Usage: tidegate passwd   read a password on stdin (prompted without echo on a terminal) and print
                         its scrypt hash for mqtt.auth.users[].passwordHash (see docs/security.md)
`

/** Reads one line from a terminal without echoing it. */
function promptHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin
    process.stderr.write(prompt)
    stdin.setRawMode(true)
    stdin.resume()
    let text = ''
    const onData = (data: Buffer) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(null)
        if (ch === '\u0003') return done(new Error('cancelled'))
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1)
        else text += ch
      }
    }
    const done = (err: Error | null) => {
      stdin.off('data', onData)
      stdin.setRawMode(false)
      stdin.pause()
      process.stderr.write('\n')
      if (err) reject(err)
      else resolve(text)
    }
    stdin.on('data', onData)
  })
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  // One trailing newline is the terminator of `echo`, not part of the password.
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
}

/**
 * `tidegate passwd`: the password comes from stdin, never from argv (argv is visible in `ps` and
 * shell history).
 */
export async function runPasswd(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE)
    return 0
  }
  if (argv.length > 0) {
    const problem = 'tidegate passwd takes no arguments; the password is read from stdin'
    process.stderr.write(`${errorLine('TG_CLI_USAGE', problem)}\n${USAGE}`)
    return 2
  }
  let password: string
  if (process.stdin.isTTY) {
    password = await promptHidden('Password: ')
    const again = await promptHidden('Again: ')
    if (again !== password) {
      process.stderr.write(`${errorLine('TG_CLI_PASSWORD', 'passwords differ')}\n`)
      return 1
    }
  } else {
    password = await readStdin()
  }
  if (password.length === 0) {
    process.stderr.write(`${errorLine('TG_CLI_PASSWORD', 'empty password')}\n`)
    return 1
  }
  process.stdout.write(`${await hashPassword(password)}\n`)
  return 0
}
