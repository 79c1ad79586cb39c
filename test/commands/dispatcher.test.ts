import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  AckingCommandDispatcher,
  type CommandMessage,
  type DispatcherPolicy,
} from '../../src/commands/acking-dispatcher.js'
import { CommandCatalog } from '../../src/commands/command-catalog.js'
import type { CommandOutcome } from '../../src/commands/command-outcome.js'
import { loadCatalog } from '../../src/devices/catalog.js'
import { ManualClock } from '../helpers/manual-clock.js'

// The shipped power meter: `set {on: boolean}`, timeout 5s, 2 retries.
const { catalog } = loadCatalog(join(import.meta.dirname, '../../devices'))
const commands = CommandCatalog.compile(catalog.types, { timeoutMs: 5000, retries: 2 }).catalog

function setup(policy: Partial<DispatcherPolicy> = {}, online = new Set(['fan-1', 'fan-2'])) {
  const clock = new ManualClock()
  const sent: { device: string; message: CommandMessage }[] = []
  const outcomes: CommandOutcome[] = []
  let n = 0
  const dispatcher = new AckingCommandDispatcher(
    {
      commands,
      typeOf: (d) => (d.startsWith('fan-') ? 'power-meter' : undefined),
      isOnline: (d) => online.has(d),
      mqtt: { deliver: (device, message) => sent.push({ device, message }) },
      onOutcome: (o) => outcomes.push(o),
      clock,
      newId: () => `c${++n}`,
    },
    {
      minIntervalMs: 0,
      maxPending: 100,
      maxPendingPerDevice: 10,
      offline: 'refuse',
      queueForMs: 60_000,
      ...policy,
    },
  )
  const statuses = () => outcomes.map((o) => `${o.id}:${o.status}${o.attempt ? `#${o.attempt}` : ''}`)
  return { clock, sent, outcomes, dispatcher, statuses, online }
}

const set = (device: string, on: unknown = true) => ({
  device,
  name: 'set',
  params: { on } as Record<string, unknown>,
  source: 'test',
})

describe('acking command dispatcher (virtual time)', () => {
  it('validates, assigns an id, sends, and completes on the ack', () => {
    const { dispatcher, sent, outcomes, statuses, clock } = setup()
    expect(dispatcher.send(set('fan-1'))).toEqual({ accepted: true, id: 'c1' })
    expect(sent).toEqual([
      {
        device: 'fan-1',
        message: { id: 'c1', name: 'set', params: { on: true }, source: 'test', at: clock.now(), attempt: 1 },
      },
    ])
    clock.advance(120)
    dispatcher.acknowledge('fan-1', { id: 'c1', status: 'ok' })
    expect(statuses()).toEqual(['c1:sent#1', 'c1:acked#1'])
    expect(outcomes[1]).toMatchObject({ latencyMs: 120, type: 'power-meter' })
    expect(dispatcher.pendingCount).toBe(0)
  })

  it('retries with the same id on timeout, then reports timeout', () => {
    const { dispatcher, sent, statuses, clock } = setup()
    dispatcher.send(set('fan-1'))
    clock.advance(4999)
    expect(sent).toHaveLength(1)
    clock.advance(1)
    expect(sent.map((s) => [s.message.id, s.message.attempt])).toEqual([
      ['c1', 1],
      ['c1', 2],
    ])
    clock.advance(10_000)
    expect(statuses()).toEqual(['c1:sent#1', 'c1:sent#2', 'c1:sent#3', 'c1:timeout#3'])
    expect(dispatcher.pendingCount).toBe(0)
    // a late ack after the timeout is counted, not applied
    dispatcher.acknowledge('fan-1', { id: 'c1', status: 'ok' })
    expect(dispatcher.counters.unmatchedAcks).toBe(1)
  })

  it('an ack on a retry ends it; a device error is a failed outcome with its message', () => {
    const { dispatcher, statuses, clock, outcomes } = setup()
    dispatcher.send(set('fan-1'))
    clock.advance(5000)
    dispatcher.acknowledge('fan-1', { id: 'c1', status: 'error', message: 'relay stuck' })
    clock.advance(60_000)
    expect(statuses()).toEqual(['c1:sent#1', 'c1:sent#2', 'c1:failed#2'])
    expect(outcomes.at(-1)?.reason).toBe('relay stuck')
  })

  it('refuses with a clear reason: unknown device, unknown command, invalid params', () => {
    const { dispatcher, sent } = setup()
    expect(dispatcher.send(set('pump-9'))).toMatchObject({
      accepted: false,
      reason: 'unknown device "pump-9": not registered and never seen',
    })
    expect(dispatcher.send({ ...set('fan-1'), name: 'reboot' })).toMatchObject({
      accepted: false,
      reason: 'device type "power-meter" has no command "reboot" (it has: set)',
    })
    expect(dispatcher.send(set('fan-1', 'yes'))).toMatchObject({
      accepted: false,
      reason: 'invalid params: /on must be boolean',
    })
    expect(dispatcher.send({ ...set('fan-1'), params: {} })).toMatchObject({
      accepted: false,
      reason: "invalid params: / must have required property 'on'",
    })
    expect(sent).toHaveLength(0)
  })

  it('acks from another device, or malformed, do not complete a command', () => {
    const { dispatcher, statuses } = setup()
    dispatcher.send(set('fan-1'))
    dispatcher.acknowledge('fan-2', { id: 'c1', status: 'ok' })
    dispatcher.acknowledge('fan-1', { id: 'c1', status: 'maybe' })
    dispatcher.acknowledge('fan-1', null)
    expect(statuses()).toEqual(['c1:sent#1'])
    expect(dispatcher.counters).toEqual({ unmatchedAcks: 1, invalidAcks: 2 })
  })

  it('enforces the per-device minimum interval', () => {
    const { dispatcher, clock } = setup({ minIntervalMs: 1000 })
    expect(dispatcher.send(set('fan-1')).accepted).toBe(true)
    clock.advance(400)
    const r = dispatcher.send(set('fan-1', false))
    expect(r.accepted).toBe(false)
    expect(!r.accepted && r.reason).toContain('minimum interval')
    expect(dispatcher.send(set('fan-2')).accepted).toBe(true) // other devices are not held back
    clock.advance(600)
    expect(dispatcher.send(set('fan-1', false)).accepted).toBe(true)
  })

  it('caps pending commands per device and in all', () => {
    const perDevice = setup({ maxPendingPerDevice: 2 })
    perDevice.dispatcher.send(set('fan-1'))
    perDevice.dispatcher.send(set('fan-1'))
    expect(perDevice.dispatcher.send(set('fan-1'))).toMatchObject({ accepted: false })
    perDevice.dispatcher.acknowledge('fan-1', { id: 'c1', status: 'ok' })
    expect(perDevice.dispatcher.send(set('fan-1')).accepted).toBe(true)
    const total = setup({ maxPending: 1 })
    total.dispatcher.send(set('fan-1'))
    expect(total.dispatcher.send(set('fan-2'))).toMatchObject({
      accepted: false,
      reason: 'too many pending commands (1)',
    })
  })

  it('offline policy refuse: a command to an offline device is refused', () => {
    const { dispatcher, sent, statuses } = setup({ offline: 'refuse' }, new Set())
    expect(dispatcher.send(set('fan-1'))).toMatchObject({
      accepted: false,
      reason: 'device fan-1 is offline (devices.commands.offline: refuse)',
    })
    expect(sent).toHaveLength(0)
    expect(statuses()).toEqual(['c1:refused'])
  })

  it('offline policy queue: held until the device is online, or expired after queueFor', () => {
    const { dispatcher, sent, statuses, clock, online } = setup(
      { offline: 'queue', queueForMs: 60_000 },
      new Set(),
    )
    expect(dispatcher.send(set('fan-1')).accepted).toBe(true)
    expect(dispatcher.send(set('fan-2')).accepted).toBe(true)
    expect(sent).toHaveLength(0)
    clock.advance(30_000)
    online.add('fan-1')
    dispatcher.deviceOnline('fan-1')
    expect(sent.map((s) => s.device)).toEqual(['fan-1'])
    dispatcher.acknowledge('fan-1', { id: 'c1', status: 'ok' })
    clock.advance(30_000)
    expect(statuses()).toEqual(['c1:queued', 'c2:queued', 'c1:sent#1', 'c1:acked#1', 'c2:expired'])
    expect(dispatcher.pendingCount).toBe(0)
  })
})
