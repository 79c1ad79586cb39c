import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load.js'
import { FileErrors } from '../../src/core/file-errors.js'
import { createLogger } from '../../src/observability/logger.js'

let dir = ''
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = ''
})

function configFile(text: string): string {
  dir = mkdtempSync(join(tmpdir(), 'tidegate-secrets-'))
  const file = join(dir, 'gateway.yaml')
  writeFileSync(file, text)
  return file
}

describe('config secrets from env or a file', () => {
  it('TIDEGATE_INFLUX__PASSWORD_FILE reads the password from a file (trailing newline dropped)', () => {
    const file = configFile('version: 1\ninflux: { username: writer }\n')
    const secret = join(dir, 'influx-password')
    writeFileSync(secret, 's3cr3t-from-file\n')
    const { config } = loadConfig(file, { TIDEGATE_INFLUX__PASSWORD_FILE: secret })
    expect(config.influx.password).toBe('s3cr3t-from-file')
    expect(loadConfig(file, { TIDEGATE_INFLUX__PASSWORD: 'from-env' }).config.influx.password).toBe(
      'from-env',
    )
  })

  it('an unreadable secret file is a config error naming the variable and path, not a crash', () => {
    const file = configFile('version: 1\n')
    expect(() => loadConfig(file, { TIDEGATE_INFLUX__TOKEN_FILE: join(dir, 'missing') })).toThrow(FileErrors)
    expect(() => loadConfig(file, { TIDEGATE_INFLUX__TOKEN_FILE: join(dir, 'missing') })).toThrow(
      /env TIDEGATE_INFLUX__TOKEN_FILE TG_CONFIG_SECRET_FILE: cannot read secret file .*missing \(ENOENT\)/,
    )
  })

  it('the gateway logger never prints the InfluxDB password or token when the influx section is logged', () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(chunk.toString())
        cb()
      },
    })
    const logger = createLogger('info', false, { destination: sink })
    const file = configFile('version: 1\ninflux: { username: writer, password: hunter2, token: tok-123 }\n')
    const { config } = loadConfig(file, {})
    logger.info({ influx: config.influx }, 'config loaded')
    const text = lines.join('')
    expect(text).toContain('writer')
    expect(text).not.toContain('hunter2')
    expect(text).not.toContain('tok-123')
  })
})
