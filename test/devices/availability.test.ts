import { describe, expect, it } from 'vitest'
import { type AvailabilityChange, AvailabilityTracker } from '../../src/devices/availability.js'
import { ManualClock } from '../helpers/manual-clock.js'

function setup(offlineAfter: number | undefined = 60_000) {
  const clock = new ManualClock()
  const changes: AvailabilityChange[] = []
  const tracker = new AvailabilityTracker({
    offlineAfterOf: (type) => (type === 'sensor' ? offlineAfter : undefined),
    clock,
    onChange: (c) => changes.push(c),
  })
  const seen = () => changes.map((c) => `${c.device}:${c.status}:${c.reason}`)
  return { clock, tracker, changes, seen }
}

describe('availability tracker (virtual time)', () => {
  it('goes online on connect and offline with the disconnect reason', () => {
    const { tracker, changes, seen, clock } = setup()
    tracker.connected('d1', 'sensor')
    clock.advance(1000)
    tracker.disconnected('d1', 'will')
    expect(seen()).toEqual(['d1:online:connected', 'd1:offline:will'])
    expect(changes[0]?.previous).toBeNull()
    expect(changes[1]?.previous).toBe('online')
    expect(changes[1]?.since).toBe(clock.now())
  })

  it('goes offline after offlineAfter of silence, and back online with the next message', () => {
    const { tracker, seen, clock } = setup(60_000)
    tracker.seen('d1', 'sensor')
    clock.advance(59_999)
    expect(seen()).toEqual(['d1:online:message'])
    clock.advance(1)
    expect(seen()).toEqual(['d1:online:message', 'd1:offline:silent'])
    tracker.seen('d1', 'sensor')
    expect(seen().at(-1)).toBe('d1:online:message')
  })

  it('messages keep a device online without a timer per message', () => {
    const { tracker, seen, clock } = setup(60_000)
    tracker.seen('d1', 'sensor')
    for (let i = 0; i < 10; i++) {
      clock.advance(30_000)
      tracker.seen('d1', 'sensor')
    }
    expect(clock.pendingTimers).toBe(1)
    expect(seen()).toEqual(['d1:online:message'])
    clock.advance(60_000)
    expect(seen()).toEqual(['d1:online:message', 'd1:offline:silent'])
    expect(clock.pendingTimers).toBe(0)
  })

  it('a type without offlineAfter stays online while connected', () => {
    const { tracker, seen, clock } = setup()
    tracker.connected('f1', 'fan')
    clock.advance(24 * 3_600_000)
    expect(seen()).toEqual(['f1:online:connected'])
  })

  it('stays online while another connection speaks for the device', () => {
    const { tracker, seen } = setup()
    tracker.connected('d1', 'fan')
    tracker.connected('d1', 'fan')
    tracker.disconnected('d1', 'disconnected')
    expect(seen()).toEqual(['d1:online:connected'])
    tracker.disconnected('d1', 'disconnected')
    expect(seen()).toEqual(['d1:online:connected', 'd1:offline:disconnected'])
  })

  it('a device announcing offline goes offline; announcing online comes back', () => {
    const { tracker, seen } = setup()
    tracker.connected('d1', 'fan')
    tracker.announced('d1', 'fan', 'offline')
    tracker.announced('d1', 'fan', 'online')
    expect(seen()).toEqual(['d1:online:connected', 'd1:offline:announced', 'd1:online:announced'])
  })
})

describe('availability tracker bound', () => {
  it('forgets the oldest offline device first when full, and never grows past maxDevices', () => {
    const clock = new ManualClock()
    const tracker = new AvailabilityTracker({
      maxDevices: 3,
      offlineAfterOf: () => undefined,
      clock,
      onChange: () => {},
    })
    tracker.connected('a', 'fan')
    tracker.connected('b', 'fan')
    tracker.disconnected('b', 'disconnected')
    tracker.connected('c', 'fan')
    tracker.connected('d', 'fan') // full: b is the oldest offline
    expect(Object.keys(tracker.snapshot())).toEqual(['a', 'c', 'd'])
    tracker.connected('e', 'fan') // none offline: the oldest goes
    expect(Object.keys(tracker.snapshot())).toEqual(['c', 'd', 'e'])
  })
})
