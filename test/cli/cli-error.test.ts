import { parseArgs } from 'node:util'
import { describe, expect, it } from 'vitest'
import { CliError, describeUncaught } from '../../src/cli/cli-error.js'
import { FileErrors } from '../../src/core/file-errors.js'

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('did not throw')
}

describe('what the CLI prints for an error no command handled', () => {
  it('file problems one per line with their codes, exit 1', () => {
    const err = new FileErrors([
      {
        file: 'g.yaml',
        line: 2,
        col: 3,
        code: 'TG_CONFIG_UNKNOWN_KEY',
        path: '/x',
        message: 'unknown key "x"',
      },
      { file: 'g.yaml', line: 0, col: 0, code: 'TG_CONFIG_UNREADABLE', path: '', message: 'gone' },
    ])
    expect(err.code).toBe('TG_CONFIG_UNKNOWN_KEY')
    expect(describeUncaught(err)).toEqual({
      text: 'g.yaml:2:3 TG_CONFIG_UNKNOWN_KEY /x: unknown key "x"\ng.yaml TG_CONFIG_UNREADABLE: gone',
      exitCode: 1,
    })
  })

  it('an unknown option (node:util parseArgs) is TG_CLI_USAGE, exit 2', () => {
    const err = thrown(() => parseArgs({ args: ['--nope'], options: {}, strict: true }))
    const out = describeUncaught(err)
    expect(out.exitCode).toBe(2)
    expect(out.text).toMatch(/^TG_CLI_USAGE: .*--nope/)
  })

  it('a CliError keeps its code and exit code; anything else is TG_CLI_FAILED, exit 1', () => {
    expect(describeUncaught(new CliError('TG_CLI_USAGE', 'cannot read "soon" as a time'))).toEqual({
      text: 'TG_CLI_USAGE: cannot read "soon" as a time',
      exitCode: 1,
    })
    expect(describeUncaught(new Error('listen EADDRINUSE: address already in use 127.0.0.1:1883'))).toEqual({
      text: 'TG_CLI_FAILED: listen EADDRINUSE: address already in use 127.0.0.1:1883',
      exitCode: 1,
    })
  })
})
