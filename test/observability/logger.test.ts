import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createLogger, RateLimitedLog } from '../../src/observability/logger.js'

/** A destination that keeps each JSON log line, parsed. */
function capture() {
  const lines: Record<string, unknown>[] = []
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>)
      done()
    },
  })
  return { lines, destination }
}

describe('logger', () => {
  it('writes JSON lines at the configured level', () => {
    const { lines, destination } = capture()
    const log = createLogger('warn', false, { destination })
    log.info('not shown')
    log.warn({ port: 'ttyUSB0' }, 'serial port gone')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ level: 40, msg: 'serial port gone', port: 'ttyUSB0' })
    expect(typeof lines[0]?.['time']).toBe('number')
  })

  it('limits repeated warnings/errors per message text per minute, then reports how many were suppressed', () => {
    let now = 1_000_000
    const { lines, destination } = capture()
    const log = createLogger('info', false, { destination, repeatedPerMinute: 2, now: () => now })
    for (let i = 0; i < 5; i++) log.error({ attempt: i }, 'InfluxDB write failed')
    log.warn('another problem')
    for (let i = 0; i < 4; i++) log.info('routine') // below warn: never limited
    expect(lines.filter((l) => l['msg'] === 'InfluxDB write failed').map((l) => l['attempt'])).toEqual([0, 1])
    expect(lines.filter((l) => l['msg'] === 'another problem')).toHaveLength(1)
    expect(lines.filter((l) => l['msg'] === 'routine')).toHaveLength(4)

    now += 60_000
    lines.length = 0
    log.error({ attempt: 5 }, 'InfluxDB write failed')
    expect(lines).toEqual([
      expect.objectContaining({
        msg: 'repeated log lines suppressed',
        suppressed: 3,
        message: 'InfluxDB write failed',
      }),
      expect.objectContaining({ msg: 'InfluxDB write failed', attempt: 5 }),
    ])
  })

  it('never writes passwords or tokens, wherever they sit in a logged object', () => {
    const { lines, destination } = capture()
    const log = createLogger('info', false, { destination })
    log.info(
      {
        password: 'hunter2',
        influx: { token: 'tok-123', url: 'http://x' },
        headers: { authorization: 'Basic abc' },
      },
      'cfg',
    )
    const text = JSON.stringify(lines)
    expect(text).not.toContain('hunter2')
    expect(text).not.toContain('tok-123')
    expect(text).not.toContain('Basic abc')
    expect(lines[0]).toMatchObject({ influx: { url: 'http://x', token: '[redacted]' } })
  })

  it('RateLimitedLog keeps separate budgets per key, for warn and error', () => {
    let now = 0
    const { lines, destination } = capture()
    const limited = new RateLimitedLog(createLogger('info', false, { destination }), 1, 10_000, () => now)
    limited.error('auth:10.0.0.1', { ip: '10.0.0.1' }, 'login failed')
    limited.error('auth:10.0.0.1', { ip: '10.0.0.1' }, 'login failed')
    limited.warn('auth:10.0.0.2', { ip: '10.0.0.2' }, 'login failed')
    expect(lines.map((l) => [l['level'], l['ip']])).toEqual([
      [50, '10.0.0.1'],
      [40, '10.0.0.2'],
    ])
    now = 10_000
    limited.error('auth:10.0.0.1', { ip: '10.0.0.1' }, 'login failed')
    expect(lines.slice(2)).toEqual([
      expect.objectContaining({ key: 'auth:10.0.0.1', suppressed: 1 }),
      expect.objectContaining({ ip: '10.0.0.1' }),
    ])
  })
})
