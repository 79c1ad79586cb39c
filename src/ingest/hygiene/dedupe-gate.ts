import type { Event } from '../../core/event.js'
import type { DeadLetterSink, EventGate } from '../pipeline.js'
import type { HygieneCounters } from './counters.js'
import { BoundedMap, SeqWindow } from './recent-window.js'

export interface DedupeOptions {
  /** Recent seq numbers remembered per device; 0 switches the gate off. */
  window: number
  maxDevices: number
  /** The payload field holding the device's own timestamp, per type (undefined when the type has none). */
  timeFieldOf: (type: string) => string | undefined
  now?: () => number
}

/**
 * Drops repeated events of a device: QoS 1 redeliveries and device retries carry the same `seq`.
 * The key is the seq plus the payload timestamp when there is one, so a device that restarts its
 * counter (new timestamps) is not mistaken for a duplicate. Events without `seq` always pass.
 */
export function createDedupeGate(
  options: DedupeOptions,
  deadLetters: DeadLetterSink,
  counters: HygieneCounters,
): EventGate {
  const windows = new BoundedMap<SeqWindow>(options.maxDevices)
  const now = options.now ?? Date.now
  return (event: Event) => {
    if (options.window === 0 || event.seq === undefined || event.stream !== 'telemetry') return true
    const field = options.timeFieldOf(event.type)
    const raw = field === undefined ? undefined : event.data[field]
    const stamp = typeof raw === 'number' ? raw : Number.NaN
    const recent = windows.touch(event.device, () => new SeqWindow(options.window))
    if (!recent.seenBefore(event.seq, stamp)) return true
    counters.duplicates++
    deadLetters.record({
      reason: 'duplicate',
      topic: event.topic,
      payload: JSON.stringify(event.data),
      encoding: 'utf8',
      errors: [`seq ${event.seq} already seen from device ${event.device}`],
      device: event.device,
      type: event.type,
      at: now(),
    })
    return false
  }
}
