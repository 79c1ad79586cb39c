import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { Acl } from '../../src/broker/acl.js'
import { readFixedHeader } from '../../src/broker/guarded-connection.js'
import { isLoopback } from '../../src/broker/listeners.js'
import { hashPassword, parseHash, verifyPassword } from '../../src/broker/passwords.js'
import { Refusals } from '../../src/broker/refusals.js'
import { TokenBucket } from '../../src/broker/token-bucket.js'
import { filterCoveredBy, topicMatches } from '../../src/broker/topic-match.js'
import { createLogger } from '../../src/observability/logger.js'

describe('topic matching', () => {
  it.each([
    ['devices/+/telemetry', 'devices/d1/telemetry', true],
    ['devices/+/telemetry', 'devices/d1/power', false],
    ['devices/d1/#', 'devices/d1', true],
    ['devices/d1/#', 'devices/d10/x', false],
    ['devices/d1/#', 'devices/d1/x/y', true],
    ['devices/d1/#', 'devices/d', false],
    ['devices/d1/#', 'devices/d2/x', false],
    ['alerts/#', 'alertsx', false],
    ['#', '$SYS/broker/uptime', false],
    ['+/broker', '$SYS/broker', false],
    ['$SYS/#', '$SYS/broker', true],
    ['a/+', 'a/b/c', false],
    ['a/+/+', 'a//', true],
  ])('%s matches %s: %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected)
  })

  it.each([
    ['devices/d1/commands/#', 'devices/d1/commands/#', true],
    ['devices/d1/commands/+', 'devices/d1/commands/#', true],
    ['devices/d1/commands', 'devices/d1/commands/#', true],
    ['devices/+/commands/#', 'devices/d1/commands/#', false],
    ['devices/#', 'devices/d1/commands/#', false],
    ['#', '#', true],
    ['$SYS/#', '#', false],
    ['a/+/c', 'a/+/c', true],
    ['a/b/c', 'a/+/c', true],
    ['a/+/c', 'a/b/c', false],
  ])('filter %s is covered by pattern %s: %s', (filter, pattern, expected) => {
    expect(filterCoveredBy(filter, pattern)).toBe(expected)
  })
})

describe('ACL', () => {
  const acl = new Acl({ tech: { publish: ['sites/%u/%c/#'], subscribe: [] } })

  it('the device role is confined to devices/<username>/', () => {
    const g = acl.grant('device', 'whatever', 'dev-1')
    expect(acl.canPublish(g, 'devices/dev-1/telemetry')).toBe('allow')
    expect(acl.canPublish(g, 'devices/dev-2/telemetry')).toBe('denied')
    expect(acl.canSubscribe(g, 'devices/dev-1/commands/#')).toBe(true)
    expect(acl.canSubscribe(g, 'devices/dev-1/telemetry')).toBe(false)
  })

  it('a username or client id with wildcards or / never widens a pattern', () => {
    for (const evil of ['+', '#', 'a/b', '']) {
      expect(acl.grant('device', 'c', evil).publish).toEqual([])
      expect(acl.grant('tech', evil, 'u').publish).toEqual([])
    }
    expect(acl.grant('tech', 'c1', 'u1').publish).toEqual(['sites/u1/c1/#'])
  })

  it('gateway-only and $ topics are reserved even for a role granting #', () => {
    const g = acl.grant('anonymous', 'c', undefined)
    for (const t of ['tidegate/deadletter/schema', 'alerts/x', '$SYS/x', 'tidegate'])
      expect(acl.canPublish(g, t)).toBe('reserved')
    expect(acl.canPublish(g, 'devices/x/telemetry')).toBe('allow')
  })

  it('an unknown or inherited role name grants nothing', () => {
    expect(acl.grant('nope', 'c', 'u')).toEqual({ role: 'nope', publish: [], subscribe: [] })
    expect(acl.grant('__proto__', 'c', 'u').publish).toEqual([])
    expect(acl.hasRole('toString')).toBe(false)
  })
})

describe('passwords', () => {
  it('hash and verify round-trip; a wrong password and malformed hashes fail', async () => {
    const hash = await hashPassword('correct horse', { N: 1024, r: 8, p: 1 })
    expect(hash).toMatch(/^\$scrypt\$N=1024,r=8,p=1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/)
    expect(await verifyPassword('correct horse', hash)).toBe(true)
    expect(await verifyPassword(Buffer.from('correct horse'), hash)).toBe(true)
    expect(await verifyPassword('correct horsE', hash)).toBe(false)
    expect(await verifyPassword('x', '$scrypt$N=3,r=8,p=1$c2FsdA==$aGFzaGhhc2hoYXNoaGFzaA==')).toBe(false)
    expect(parseHash('$scrypt$N=1048576000,r=8,p=1$c2FsdA==$aGFzaGhhc2hoYXNoaGFzaA==')).toBeNull()
    expect(parseHash('plain')).toBeNull()
  })
})

describe('token bucket', () => {
  it('allows the burst, then the refill rate', () => {
    let t = 0
    const bucket = new TokenBucket(10, 5, () => t)
    expect(Array.from({ length: 7 }, () => bucket.take())).toEqual([
      true,
      true,
      true,
      true,
      true,
      false,
      false,
    ])
    t += 100
    expect(bucket.take()).toBe(true)
    expect(bucket.take()).toBe(false)
    t += 10_000
    expect(Array.from({ length: 6 }, () => bucket.take()).filter(Boolean)).toHaveLength(5)
  })
})

describe('fixed header', () => {
  it('reads 1–4 byte remaining lengths and refuses a fifth byte', () => {
    expect(readFixedHeader(Buffer.from([0x30, 0x00]))).toEqual({ headerLength: 2, remainingLength: 0 })
    expect(readFixedHeader(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]))).toEqual({
      headerLength: 5,
      remainingLength: 268_435_455,
    })
    expect(readFixedHeader(Buffer.from([0x30, 0x80]))).toBe('incomplete')
    expect(readFixedHeader(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01]))).toBe('malformed')
  })
})

describe('refusals', () => {
  it('are all counted but logged at most N times per reason per minute', () => {
    const lines: string[] = []
    const destination = new Writable({
      write(chunk, _enc, cb) {
        lines.push(chunk.toString())
        cb()
      },
    })
    const refusals = new Refusals(createLogger('warn', false, { destination }), 5)
    for (let i = 0; i < 50; i++) refusals.refuse('acl_publish', { clientId: `c${i}` })
    refusals.refuse('auth_failed', { username: 'x' })
    expect(refusals.count('acl_publish')).toBe(50)
    expect(refusals.count('auth_failed')).toBe(1)
    expect(lines.filter((l) => l.includes('acl_publish'))).toHaveLength(5)
    expect(lines.filter((l) => l.includes('auth_failed'))).toHaveLength(1)
  })
})

describe('loopback', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.9.9.9', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.5', false],
    ['::ffff:192.168.1.2', false],
    ['fe80::1', false],
    ['', false],
  ])('%s is loopback: %s', (address, expected) => {
    expect(isLoopback(address)).toBe(expected)
  })
})
