import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load.js'
import { type FileError, FileErrors, formatFileError } from '../../src/core/file-errors.js'
import { toBytes } from '../../src/core/size.js'

const dir = mkdtempSync(join(tmpdir(), 'tidegate-config-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0

function write(text: string): string {
  const file = join(dir, `gateway-${n++}.yaml`)
  writeFileSync(file, text)
  return file
}

/** The errors loadConfig throws for a file (and env), as plain objects. */
function errorsOf(text: string, env: NodeJS.ProcessEnv = {}): FileError[] {
  const file = write(text)
  try {
    loadConfig(file, env)
  } catch (err) {
    if (err instanceof FileErrors) return err.errors.map((e) => ({ ...e, file: e.file.replace(file, 'F') }))
    throw err
  }
  throw new Error('expected the config to be rejected')
}

describe('config defaults and freezing', () => {
  it('an empty file gives every default', () => {
    const { config } = loadConfig(write(''), {})
    expect(config.mqtt.listeners).toMatchObject([{ host: '127.0.0.1', port: 1883 }])
    expect(config.influx).toMatchObject({
      url: 'http://127.0.0.1:8086',
      database: 'tidegate',
      batchSize: 5000,
    })
    expect(config.influx.flushInterval).toBe('1s')
    expect(config.catalog).toBe('./devices')
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8080 })
    expect(Object.isFrozen(config.influx)).toBe(true)
  })

  it('the shipped config/gateway.yaml is valid', () => {
    const { config } = loadConfig('config/gateway.yaml', {})
    expect(config.mqtt.listeners[0]).toMatchObject({ host: '0.0.0.0', port: 1883 })
  })
})

describe('config errors name file:line:col and path', () => {
  it('a YAML syntax error', () => {
    const errors = errorsOf('mqtt:\n  listeners: [ { port: 1 }\ninflux:\n  url: x\n')
    expect(errors.length).toBeGreaterThan(0)
    expect(errors[0]).toMatchObject({
      file: 'F',
      line: expect.any(Number),
      col: expect.any(Number),
      code: 'TG_CONFIG_SYNTAX',
    })
    expect(errors[0]?.line).toBeGreaterThanOrEqual(2)
  })

  it('a duplicate key is a syntax error at the second key', () => {
    const errors = errorsOf('catalog: ./a\nrules: ./r\ncatalog: ./b\n')
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ line: 3, col: 1, code: 'TG_CONFIG_SYNTAX' })
    expect(errors[0]?.message).toMatch(/unique|duplicate/i)
  })

  it('an unknown key points at the key, not its value', () => {
    const errors = errorsOf('influx:\n  url: http://x:8086\n  batchsize: 10\n')
    expect(errors).toEqual([
      {
        file: 'F',
        line: 3,
        col: 3,
        code: 'TG_CONFIG_UNKNOWN_KEY',
        path: '/influx/batchsize',
        message: 'unknown key "batchsize"',
      },
    ])
  })

  it('an unknown top-level key in a flow mapping points at the key', () => {
    const errors = errorsOf('http: { host: 127.0.0.1, prot: 80 }\n')
    expect(errors).toEqual([
      {
        file: 'F',
        line: 1,
        col: 26,
        code: 'TG_CONFIG_UNKNOWN_KEY',
        path: '/http/prot',
        message: 'unknown key "prot"',
      },
    ])
  })

  it('a wrong type points at the value and says what was found', () => {
    const errors = errorsOf('mqtt:\n  listeners:\n    - host: 0.0.0.0\n      port: eighty\n')
    expect(errors).toEqual([
      {
        file: 'F',
        line: 4,
        col: 13,
        code: 'TG_CONFIG_INVALID',
        path: '/mqtt/listeners/0/port',
        message: 'must be integer, not string "eighty"',
      },
    ])
  })

  it('out of range', () => {
    const errors = errorsOf('http:\n  port: 70000\n')
    expect(errors).toEqual([
      {
        file: 'F',
        line: 2,
        col: 9,
        code: 'TG_CONFIG_INVALID',
        path: '/http/port',
        message: 'must be <= 65535',
      },
    ])
  })

  it('a bad duration is one plain error', () => {
    const errors = errorsOf('influx:\n  flushInterval: 5 minutes\n')
    expect(errors).toEqual([
      {
        file: 'F',
        line: 2,
        col: 18,
        code: 'TG_CONFIG_INVALID',
        path: '/influx/flushInterval',
        message:
          'invalid duration "5 minutes": use a number with a unit (250ms, 10s, 5m, 2h, 7d) or whole milliseconds',
      },
    ])
  })

  it('sizes take a unit or whole bytes, alike in the outbox and the journal; a bad one is one plain error', () => {
    const { config } = loadConfig(
      write(
        'influx:\n  buffer:\n    maxBytes: 4096\njournal:\n  maxBytes: 512MiB\n  segmentBytes: 1048576\n',
      ),
      {},
    )
    expect(toBytes(config.influx.buffer.maxBytes)).toBe(4096)
    expect(toBytes(config.journal.maxBytes)).toBe(536_870_912)
    expect(toBytes(config.journal.segmentBytes)).toBe(1_048_576)
    expect(toBytes(loadConfig(write(''), {}).config.journal.maxBytes)).toBe(268_435_456)
    expect(errorsOf('journal:\n  maxBytes: 2 gigs\n')).toEqual([
      {
        file: 'F',
        line: 2,
        col: 13,
        code: 'TG_CONFIG_INVALID',
        path: '/journal/maxBytes',
        message: 'invalid size "2 gigs": use a number with a unit (512KiB, 128MiB, 1GB) or whole bytes',
      },
    ])
  })

  it('a choice of constants lists the choices once', () => {
    const errors = errorsOf('log:\n  level: loud\n')
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ line: 2, col: 10, code: 'TG_CONFIG_INVALID', path: '/log/level' })
    expect(errors[0]?.message).toBe(
      'must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent"',
    )
  })

  it('every error is listed, in one throw', () => {
    const errors = errorsOf('http:\n  port: -1\nbogus: 1\ninflux:\n  timeout: forever\n')
    expect(errors.map((e) => e.path).sort()).toEqual(['/bogus', '/http/port', '/influx/timeout'])
  })

  it('a document that is not a mapping', () => {
    expect(errorsOf('- a\n- b\n')).toEqual([
      {
        file: 'F',
        line: 1,
        col: 1,
        code: 'TG_CONFIG_INVALID',
        path: '/',
        message: 'the config must be a mapping of keys',
      },
    ])
  })

  it('formats as file:line:col CODE path: message', () => {
    const [e] = errorsOf('http:\n  port: x\n')
    expect(formatFileError(e as FileError)).toBe(
      'F:2:9 TG_CONFIG_INVALID /http/port: must be integer, not string "x"',
    )
  })

  it('a missing file is an error, not a crash', () => {
    expect(() => loadConfig(join(dir, 'nope.yaml'), {})).toThrow(/TG_CONFIG_UNREADABLE: cannot read file/)
  })
})

describe('environment overrides TIDEGATE_<SECTION>__<KEY>', () => {
  it('override file values and defaults, camelCase keys matched without case or underscores', () => {
    const file = write('influx:\n  url: http://file:8086\n')
    const { config } = loadConfig(file, {
      TIDEGATE_INFLUX__URL: 'http://env:8086',
      TIDEGATE_INFLUX__BATCH_SIZE: '250',
      TIDEGATE_INFLUX__FLUSHINTERVAL: '250ms',
      TIDEGATE_MQTT__LISTENERS__0__PORT: '1884',
      TIDEGATE_CATALOG: '/opt/devices',
      TIDEGATE_CONFIG: 'ignored.yaml',
      OTHER: 'x',
    })
    expect(config.influx.url).toBe('http://env:8086')
    expect(config.influx.batchSize).toBe(250)
    expect(config.influx.flushInterval).toBe('250ms')
    expect(config.mqtt.listeners).toMatchObject([{ host: '127.0.0.1', port: 1884 }])
    expect(config.catalog).toBe('/opt/devices')
  })

  it('string keys keep the text as written (a numeric password stays a string)', () => {
    const { config } = loadConfig(write(''), {
      TIDEGATE_INFLUX__PASSWORD: '123456',
      TIDEGATE_INFLUX__USERNAME: '[admin',
    })
    expect(config.influx.password).toBe('123456')
    expect(config.influx.username).toBe('[admin')
  })

  it('flow collections replace whole values', () => {
    const { config } = loadConfig(write(''), {
      TIDEGATE_MQTT__LISTENERS: '[{host: 0.0.0.0, port: 1}, {port: 2}]',
    })
    expect(config.mqtt.listeners).toMatchObject([
      { host: '0.0.0.0', port: 1 },
      { host: '127.0.0.1', port: 2 },
    ])
  })

  it('a bad value from the environment names the variable, not the file', () => {
    const errors = errorsOf('influx:\n  batchSize: 10\n', { TIDEGATE_INFLUX__BATCHSIZE: 'lots' })
    expect(errors).toEqual([
      {
        file: 'env TIDEGATE_INFLUX__BATCHSIZE',
        line: 0,
        col: 0,
        code: 'TG_CONFIG_INVALID',
        path: '/influx/batchSize',
        message: 'must be integer, not string "lots"',
      },
    ])
    expect(formatFileError(errors[0] as FileError)).toBe(
      'env TIDEGATE_INFLUX__BATCHSIZE TG_CONFIG_INVALID /influx/batchSize: must be integer, not string "lots"',
    )
  })

  it('an unknown key from the environment names the variable', () => {
    const errors = errorsOf('influx:\n  url: http://x\n', {
      TIDEGATE_INFLUX__NOPE: '1',
      TIDEGATE_NOSUCH: 'x',
    })
    expect(errors.sort((a, b) => a.file.localeCompare(b.file))).toEqual([
      {
        file: 'env TIDEGATE_INFLUX__NOPE',
        line: 0,
        col: 0,
        code: 'TG_CONFIG_UNKNOWN_KEY',
        path: '/influx/nope',
        message: 'unknown key "nope"',
      },
      {
        file: 'env TIDEGATE_NOSUCH',
        line: 0,
        col: 0,
        code: 'TG_CONFIG_UNKNOWN_KEY',
        path: '/nosuch',
        message: 'unknown key "nosuch"',
      },
    ])
  })

  it('a bad duration from the environment names the variable', () => {
    const errors = errorsOf('', { TIDEGATE_INFLUX__TIMEOUT: '10 sec' })
    expect(errors[0]).toMatchObject({ file: 'env TIDEGATE_INFLUX__TIMEOUT', path: '/influx/timeout' })
    expect(errors[0]?.message).toMatch(/^invalid duration "10 sec"/)
  })
})
