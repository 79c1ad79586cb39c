import type { Event } from '../../core/event.js'
import type { EventGate } from '../pipeline.js'
import type { HygieneCounters } from './counters.js'
import { BoundedMap } from './recent-window.js'

interface DeviceProgress {
  lastTime: number
  maxSeq: number
}

/**
 * Counts events that arrive out of event-time order (older than the device's newest so far) and seq
 * restarts. It never drops or holds: event-time windows in the rules order events themselves within
 * their allowed lateness, and an edge gateway should not add latency to every event for the rare case.
 * A seq that falls more than `resetBelow` under the highest seen is a device restart, not disorder.
 */
export function createOrderGate(
  options: { maxDevices: number; resetBelow: number },
  counters: HygieneCounters,
): EventGate {
  const progress = new BoundedMap<DeviceProgress>(options.maxDevices)
  return (event: Event) => {
    if (event.stream !== 'telemetry') return true
    let fresh = false
    const p = progress.touch(event.device, () => {
      fresh = true
      return { lastTime: event.time, maxSeq: event.seq ?? -1 }
    })
    if (fresh) return true
    let disordered = event.time < p.lastTime
    if (event.seq !== undefined) {
      if (event.seq < p.maxSeq - options.resetBelow) {
        counters.seqResets++
        p.maxSeq = event.seq
        p.lastTime = event.time
        return true
      }
      if (event.seq < p.maxSeq) disordered = true
      else p.maxSeq = event.seq
    }
    if (disordered) counters.outOfOrder++
    else p.lastTime = event.time
    return true
  }
}
