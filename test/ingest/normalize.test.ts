import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrokerClient, BrokerMessage } from '../../src/broker/broker.js'
import { describe, expect, it } from 'vitest'
import type { DeadLetter } from '../../src/core/dead-letter.js'
import type { Event } from '../../src/core/event.js'
import { loadCatalog } from '../../src/devices/catalog.js'
import { createMqttIngestHook } from '../../src/ingest/mqtt-ingest.js'
import { IngestPipeline } from '../../src/ingest/pipeline.js'
import { Normalizer } from '../../src/ingest/normalize.js'

const { catalog } = loadCatalog('devices')
const normalizer = new Normalizer(catalog, { deviceTopicPrefix: 'devices/' })
const T = 1_700_000_000_000
const TOPIC = 'devices/dev-1/telemetry'

function ingest(topic: string, payload: string | Buffer) {
  return normalizer.fromMqtt(topic, typeof payload === 'string' ? Buffer.from(payload) : payload, T)
}
function deadOf(topic: string, payload: string | Buffer): DeadLetter {
  const out = ingest(topic, payload)
  if (!out || out.ok) throw new Error(`expected a dead letter, got ${JSON.stringify(out)}`)
  return out.dead
}

describe('normalising MQTT input to events', () => {
  it('a valid payload becomes one typed event', () => {
    const out = ingest(TOPIC, '{"temperature":21.5,"humidity":40,"ts":1600000000000,"seq":9,"zone":"n"}')
    expect(out).toEqual({
      ok: true,
      event: {
        device: 'dev-1',
        type: 'climate-sensor',
        stream: 'telemetry',
        time: 1_600_000_000_000,
        received: T,
        seq: 9,
        data: { temperature: 21.5, humidity: 40, ts: 1_600_000_000_000, seq: 9, zone: 'n' },
        tags: { zone: 'n' },
        source: 'mqtt',
        topic: TOPIC,
      } satisfies Event,
    })
  })

  it('without ts the event time is the arrival time; without seq there is none', () => {
    const out = ingest(TOPIC, '{"temperature":1}')
    expect(out?.ok && out.event.time).toBe(T)
    expect(out?.ok && 'seq' in out.event).toBe(false)
  })

  it('topics outside the device prefix are ordinary broker traffic', () => {
    expect(ingest('home/lamp', 'on')).toBeNull()
    expect(ingest('tidegate/deadletter/schema', '{}')).toBeNull()
  })

  it("the gateway's own device topics (availability, acks, commands) are not telemetry", () => {
    expect(ingest('devices/dev-1/availability', 'online')).toBeNull()
    expect(ingest('devices/dev-1/commands/set', '{}')).toBeNull()
    expect(ingest('devices/dev-1/acks', '{}')).toBeNull()
  })
})

describe('dead letters', () => {
  it('invalid JSON keeps the text, the device and the type', () => {
    expect(deadOf(TOPIC, '{"temperature":')).toMatchObject({
      reason: 'invalid_json',
      topic: TOPIC,
      payload: '{"temperature":',
      encoding: 'utf8',
      device: 'dev-1',
      type: 'climate-sensor',
      at: T,
    })
  })

  it('a binary payload is kept as base64', () => {
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x7b, 0x01])
    expect(deadOf(TOPIC, bytes)).toMatchObject({
      reason: 'invalid_json',
      payload: bytes.toString('base64'),
      encoding: 'base64',
    })
  })

  it('valid UTF-8 with control bytes is base64 too (it would not survive as text)', () => {
    expect(deadOf(TOPIC, Buffer.from('ab\u0001cd')).encoding).toBe('base64')
    expect(deadOf(TOPIC, Buffer.from('温度 🌡️ not json'))).toMatchObject({
      encoding: 'utf8',
      payload: '温度 🌡️ not json',
    })
  })

  it.each([
    ['an array', '[1,2]'],
    ['a number', '42'],
    ['a string', '"hot"'],
    ['null', 'null'],
    ['a boolean', 'true'],
  ])('a JSON payload that is %s is a schema dead letter', (_what, payload) => {
    expect(deadOf(TOPIC, payload)).toMatchObject({
      reason: 'schema',
      payload,
      errors: ['payload must be a JSON object'],
      device: 'dev-1',
    })
  })

  it('schema failures list every validator error with its path', () => {
    const d = deadOf(TOPIC, '{"temperature":"hot","humidity":140,"extra":1}')
    expect(d.reason).toBe('schema')
    expect(d.errors).toEqual(
      expect.arrayContaining([
        '/temperature must be number',
        '/humidity must be <= 100',
        '/ must NOT have additional properties',
      ]),
    )
  })

  it('a missing required field is a schema dead letter', () => {
    expect(deadOf(TOPIC, '{"humidity":40}').errors).toEqual(["/ must have required property 'temperature'"])
  })

  it('a device topic no type declares is no_type', () => {
    expect(deadOf('devices/dev-1/unknown', '{"x":1}')).toMatchObject({
      reason: 'no_type',
      errors: ['no device type declares this topic'],
    })
  })

  it('an empty {device} level matches no type: no_type, not an event with an empty device', () => {
    expect(deadOf('devices//telemetry', '{"temperature":1}')).toMatchObject({ reason: 'no_type' })
  })

  it('a too-deep or too-shallow topic is no_type', () => {
    expect(deadOf('devices/dev-1/telemetry/extra', '{"temperature":1}').reason).toBe('no_type')
    expect(deadOf('devices/dev-1', '{"temperature":1}').reason).toBe('no_type')
  })
})

describe('the MQTT ingest hook', () => {
  function harness(n: Pick<Normalizer, 'fromMqtt'>) {
    const dead: DeadLetter[] = []
    const events: Event[] = []
    const pipeline = new IngestPipeline({
      normalizer: n as Normalizer,
      gates: [],
      deadLetters: { record: (d: DeadLetter) => dead.push(d) },
      emit: (e) => events.push(e),
    })
    const hook = createMqttIngestHook({
      pipeline,
      whenAccepted: (cb) => cb(),
      now: () => T,
    })
    const publish = (
      topic: string,
      payload: Buffer,
      client: BrokerClient | null = { id: 'c', connected: true },
    ) => {
      let result: unknown = 'not called'
      hook(client, { topic, payload, qos: 1, retain: false } satisfies BrokerMessage, (err) => {
        result = err ?? null
      })
      return result
    }
    return { dead, events, publish }
  }

  it('never refuses a publish: bad input is dead-lettered and still forwarded', () => {
    const h = harness(normalizer)
    expect(h.publish(TOPIC, Buffer.from('nope'))).toBeNull()
    expect(h.publish(TOPIC, Buffer.from('{"temperature":3}'))).toBeNull()
    expect(h.dead.map((d) => d.reason)).toEqual(['invalid_json'])
    expect(h.events.map((e) => e.data)).toEqual([{ temperature: 3 }])
  })

  it("the broker's own publishes (no client) are not device input", () => {
    const h = harness(normalizer)
    expect(h.publish(TOPIC, Buffer.from('nope'), null)).toBeNull()
    expect(h.dead).toEqual([])
  })

  it('a bug while normalising becomes a dead letter, not a crash', () => {
    const h = harness({
      fromMqtt: () => {
        throw new Error('boom')
      },
    })
    expect(h.publish(TOPIC, Buffer.from([1, 2, 3]))).toBeNull()
    expect(h.dead).toEqual([
      expect.objectContaining({ reason: 'schema', encoding: 'base64', errors: ['internal error: boom'] }),
    ])
  })
})

describe('type options', () => {
  it('time in epoch seconds, a custom seq field, registry tags merged with payload tags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidegate-norm-'))
    try {
      writeFileSync(
        join(dir, 'meter.yaml'),
        [
          'type: meter',
          'measurement: m',
          'topics: ["site/+/{device}/reading"]',
          'time: { field: t, unit: s }',
          'seq: { field: n }',
          'tags: [room]',
          'schema: { type: object, properties: { t: { type: number }, n: { type: integer }, room: { type: string } } }',
        ].join('\n'),
      )
      const { catalog: c, errors } = loadCatalog(dir)
      expect(errors).toEqual([])
      const n = new Normalizer(c, {
        deviceTopicPrefix: 'site/',
        enrichTags: (device, type) =>
          device === 'm1' && type === 'meter' ? { site: 'north', room: 'reg' } : undefined,
      })
      const out = n.fromMqtt(
        'site/a/m1/reading',
        Buffer.from('{"t":1700000000.25,"n":3,"room":"lab","v":1}'),
        T,
      )
      expect(out?.ok && out.event).toMatchObject({
        device: 'm1',
        type: 'meter',
        time: 1_700_000_000_250,
        seq: 3,
        tags: { site: 'north', room: 'lab' },
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
