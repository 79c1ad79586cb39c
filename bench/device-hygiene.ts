/**
 * Cost of the devices feature on the ingest hot path: the four ingest gates (unknown device, clock
 * skew, duplicates, order) plus the availability tracker's per-message work, per event, in-process.
 * No broker and no InfluxDB: this isolates what issue 6 adds to every event. 99% of the devices are
 * registered, 1 in 100 events is a duplicate.
 *
 *   npx tsx bench/device-hygiene.ts [--devices 10000] [--events 2000000]
 */
import { parseArgs } from 'node:util'
import { systemClock } from '../src/core/clock.js'
import type { Event } from '../src/core/event.js'
import { AvailabilityTracker } from '../src/devices/availability.js'
import { DeviceRegistry } from '../src/devices/registry.js'
import { DeadLetters } from '../src/ingest/dead-letters.js'
import { newHygieneCounters } from '../src/ingest/hygiene/counters.js'
import { createDedupeGate } from '../src/ingest/hygiene/dedupe-gate.js'
import { createOrderGate } from '../src/ingest/hygiene/order-gate.js'
import { createSkewGate } from '../src/ingest/hygiene/skew-gate.js'
import { createUnknownDeviceGate } from '../src/ingest/hygiene/unknown-device-gate.js'
import { createLogger, RateLimitedLog } from '../src/observability/logger.js'

const { values } = parseArgs({
  options: { devices: { type: 'string', default: '10000' }, events: { type: 'string', default: '2000000' } },
})
const devices = Number(values.devices)
const total = Number(values.events)

const ids = Array.from({ length: devices }, (_, i) => `dev-${i}`)
const registry = new DeviceRegistry(
  ids
    .slice(0, Math.floor(devices * 0.99))
    .map((id) => ({ id, type: 'climate-sensor', tags: { site: 'a', zone: 'z' } })),
  { allowUnknown: true, unregisteredListSize: 1000 },
)
const deadLetters = new DeadLetters(() => {}, new RateLimitedLog(createLogger('silent', false), 0))
const counters = newHygieneCounters()
const gates = [
  createUnknownDeviceGate(registry, deadLetters, counters),
  createSkewGate({ maxMs: 300_000, policy: 'keep' }, deadLetters, counters),
  createDedupeGate({ window: 256, maxDevices: 100_000, timeFieldOf: () => 'ts' }, deadLetters, counters),
  createOrderGate({ maxDevices: 100_000, resetBelow: 256 }, counters),
]
const tracker = new AvailabilityTracker({
  offlineAfterOf: () => 300_000,
  clock: systemClock,
  onChange: () => {},
})

// Events are built in the loop (1 in 100 repeats the previous seq, a duplicate); the same loop without
// the gates is timed too, so the figure is what the gates and the tracker add.
const now = Date.now()
const seqs = new Array<number>(devices).fill(0)

function makeEvent(i: number): Event {
  const d = i % devices
  const dup = i % 100 === 99
  const seq = dup ? (seqs[d] as number) - 1 : (seqs[d] as number)++
  const ts = now + seq
  return {
    device: ids[d] as string,
    type: 'climate-sensor',
    stream: 'telemetry',
    time: ts,
    received: now,
    seq,
    data: { temperature: 20, seq, ts },
    tags: {},
    source: 'mqtt',
    topic: `devices/${ids[d]}/telemetry`,
  }
}

function run(from: number, n: number, withGates: boolean): number {
  let passed = 0
  for (let i = from; i < from + n; i++) {
    const e = makeEvent(i)
    if (!withGates) {
      if (e.seq !== undefined) passed++
      continue
    }
    let ok = true
    for (const gate of gates)
      if (!gate(e)) {
        ok = false
        break
      }
    if (ok) {
      tracker.seen(e.device, e.type)
      passed++
    }
  }
  return passed
}

function timed(from: number, withGates: boolean): number {
  const start = process.hrtime.bigint()
  run(from, total, withGates)
  return Number(process.hrtime.bigint() - start)
}

run(0, 200_000, true) // warm-up (JIT)
const base = timed(200_000, false)
const ns = timed(200_000 + total, true)
tracker.stop()
const perEvent = (ns - base) / total
process.stdout.write(
  `devices ${devices}, events ${total}: gates + availability add ${(perEvent / 1000).toFixed(3)} µs/event ` +
    `(${Math.round(1e9 / perEvent).toLocaleString('en')} events/s of gate work on one core); ` +
    `duplicates ${counters.duplicates}, out of order ${counters.outOfOrder}, seq resets ${counters.seqResets}\n`,
)
