import { describe, expect, it } from 'vitest'
import type { Broker } from '../../../src/broker/broker.js'
import { encodeCommand, type SerialCommand } from '../../../src/ingest/serial/command-encoding.js'
import { parseCommand, SerialCommandRouter } from '../../../src/ingest/serial/command-router.js'
import type { SerialSource } from '../../../src/ingest/serial/serial-source.js'
import { createLogger } from '../../../src/observability/logger.js'

// Binding never touches the broker or the ports: stand-ins (named so) are enough here.
const noBroker = {} as Broker
const portA = { label: 'a' } as SerialSource
const portB = { label: 'b' } as SerialSource

describe('serial command routing', () => {
  it('fixed bindings stay; learned ones follow the device and the longest silent is evicted past 10,000', () => {
    const router = new SerialCommandRouter(noBroker, createLogger('silent', false))
    router.bindFixed('fixed-1', portA)
    router.learn('roamer', portA)
    router.learn('roamer', portB)
    expect(router.portOf('roamer')).toBe(portB)
    for (let i = 0; i < 10_000; i++) router.learn(`d-${i}`, portA)
    router.learn('d-0', portA) // seen again: now the most recent
    router.learn('one-more', portB)
    expect(router.portOf('roamer')).toBeUndefined()
    expect(router.portOf('d-0')).toBe(portA)
    expect(router.portOf('d-1')).toBeUndefined()
    expect(router.portOf('fixed-1')).toBe(portA)
    expect(router.portOf('one-more')).toBe(portB)
    expect(router.portOf('mqtt-device')).toBeUndefined()
  })
})

describe('serial command encoding', () => {
  const cmd: SerialCommand = {
    id: 'c1',
    device: 'fan-1',
    name: 'set',
    params: { on: true, speed: 3, nested: { x: 1 } },
  }

  it('json: one line with id, name and params', () => {
    const bytes = encodeCommand({ encoding: 'json', terminator: '\n' }, cmd)
    expect(bytes.toString()).toBe(
      '{"id":"c1","name":"set","params":{"on":true,"speed":3,"nested":{"x":1}}}\n',
    )
  })

  it('template: placeholders from the command and its params; a missing value or template is an error', () => {
    const enc = {
      encoding: 'template' as const,
      templates: { set: '{device} {name} {on} {params.speed} {nested.x} #{id}' },
      terminator: '\r\n',
    }
    expect(encodeCommand(enc, cmd).toString()).toBe('fan-1 set true 3 1 #c1\r\n')
    expect(() => encodeCommand(enc, { ...cmd, params: { on: true } })).toThrow(
      'has no value for {params.speed}',
    )
    expect(() => encodeCommand(enc, { ...cmd, name: 'reboot' })).toThrow(
      'no serial template for command "reboot"',
    )
  })

  it('parses the dispatcher payload, a bare params object and plain text', () => {
    expect(
      parseCommand('d', 'set', Buffer.from('{"id":"x","name":"set","params":{"a":1},"attempt":0}')),
    ).toEqual({
      id: 'x',
      device: 'd',
      name: 'set',
      params: { a: 1 },
    })
    expect(parseCommand('d', 'set', Buffer.from('{"setpoint":20}'))).toMatchObject({
      params: { setpoint: 20 },
    })
    expect(parseCommand('d', 'set', Buffer.from('ON'))).toMatchObject({ params: { value: 'ON' } })
    expect(parseCommand('d', 'set', Buffer.from('')).id).toMatch(/^[0-9a-f-]{36}$/)
  })
})
