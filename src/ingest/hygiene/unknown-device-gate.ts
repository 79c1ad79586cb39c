import type { Event } from '../../core/event.js'
import type { DeadLetterSink, EventGate } from '../pipeline.js'
import type { HygieneCounters } from './counters.js'

/** The registry's answer for a device's telemetry: true when it may go on (it notes newcomers). */
export interface DeviceAdmission {
  admit(device: string, type: string, topic: string): boolean
}

/**
 * Telemetry from a device that is not in the registry: remembered in the seen-but-unregistered list
 * and, when `devices.allowUnknown` is false, dead-lettered as `unknown_device`.
 */
export function createUnknownDeviceGate(
  registry: DeviceAdmission,
  deadLetters: DeadLetterSink,
  counters: HygieneCounters,
  now: () => number = Date.now,
): EventGate {
  return (event: Event) => {
    if (event.stream !== 'telemetry') return true
    if (registry.admit(event.device, event.type, event.topic)) return true
    counters.unknownRejected++
    deadLetters.record({
      reason: 'unknown_device',
      topic: event.topic,
      payload: JSON.stringify(event.data),
      encoding: 'utf8',
      errors: [`device "${event.device}" is not in the registry and devices.allowUnknown is false`],
      device: event.device,
      type: event.type,
      at: now(),
    })
    return false
  }
}
