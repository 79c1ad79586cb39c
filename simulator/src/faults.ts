import type { SimDevice } from './device.js'
import type { FaultKindName } from './scenario-schema.js'

/** One message a fault wants published (transport faults — disconnects, storms — have none). */
export interface FaultMessage {
  payload: string | Buffer
}

export interface FaultParams {
  count: number
  offsetMs: number
  size: number
}

/** Faults that act on the connection rather than on payloads. */
export const CONNECTION_FAULTS: ReadonlySet<FaultKindName> = new Set(['disconnect', 'reconnect_storm'])

/**
 * Builds the payloads a payload fault publishes for one device, in publish order. Pure apart from the
 * device's own sample stream, so a seed reproduces the faults as well as the signals.
 */
export function faultMessages(
  kind: FaultKindName,
  device: SimDevice,
  p: FaultParams,
  now: number,
): FaultMessage[] {
  const json = (o: Record<string, unknown>) => JSON.stringify(o)
  const repeat = (f: () => string | Buffer) => Array.from({ length: p.count }, () => ({ payload: f() }))
  switch (kind) {
    case 'malformed_json':
      // A truncated object, as a device losing power mid-write would send.
      return repeat(() => json(device.sample(now)).slice(0, -7))
    case 'schema_violation':
      return repeat(() => json(breakSchema(device.sample(now))))
    case 'duplicate': {
      const original = json(device.sample(now))
      // The original and `count` byte-identical copies (same seq), like QoS 1 redeliveries.
      return [original, ...Array.from({ length: p.count }, () => original)].map((payload) => ({ payload }))
    }
    case 'out_of_order': {
      // Distinct timestamps (a sample just published at `now` keeps its own point).
      const first = device.sample(now + 1)
      const second = device.sample(now + 2)
      return [{ payload: json(second) }, { payload: json(first) }]
    }
    case 'late':
      return repeat(() => json({ ...device.sample(now), ts: Math.round(now - p.offsetMs) }))
    case 'clock_skew':
      return repeat(() => json({ ...device.sample(now), ts: Math.round(now + p.offsetMs) }))
    case 'burst':
      // A backlog flushed at once (after an outage): consecutive seq, timestamps 1 ms apart up to now,
      // so each reading stays its own point in InfluxDB.
      return Array.from({ length: p.count }, (_, i) => ({
        payload: json(device.sample(now - (p.count - 1 - i))),
      }))
    case 'oversize': {
      const base = json(device.sample(now))
      const pad = Math.max(0, p.size - base.length - 12)
      return [{ payload: `${base.slice(0, -1)},"pad":"${'x'.repeat(pad)}"}` }]
    }
    case 'disconnect':
    case 'reconnect_storm':
      return []
  }
}

/** Replaces the first numeric field (not ts/seq) with a string, which every shipped type refuses. */
function breakSchema(sample: Record<string, unknown>): Record<string, unknown> {
  const key = Object.keys(sample).find((k) => k !== 'ts' && k !== 'seq' && typeof sample[k] === 'number')
  return key ? { ...sample, [key]: 'not-a-number' } : { ...sample, unexpected_field: true }
}
