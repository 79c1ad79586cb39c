import type { Event } from '../../core/event.js'
import { SampleRing } from './sample-ring.js'

/** The numeric fields of one reading (booleans as 0/1): what a device chart plots. */
export interface DeviceSample {
  t: number
  v: Record<string, number>
}

export interface SeenDevice {
  id: string
  type: string
  /** Receive time of the last telemetry (ms). */
  lastSeen: number
  values: Record<string, unknown>
  tags: Record<string, string>
  recent: SampleRing
}

/**
 * The devices the gateway heard, with their last values and a ring of recent readings, so a device chart
 * has data without InfluxDB. Bounded: beyond `maxDevices` the least recently heard device is forgotten.
 */
export class DeviceBoard {
  private readonly devices = new Map<string, SeenDevice>()

  constructor(
    private readonly maxDevices: number,
    private readonly samplesPerDevice: number,
  ) {}

  /** A telemetry event; returns the updated device (null for other streams). */
  observe(e: Event): SeenDevice | null {
    if (e.stream !== 'telemetry') return null
    let d = this.devices.get(e.device)
    if (d) this.devices.delete(e.device)
    else
      d = {
        id: e.device,
        type: e.type,
        lastSeen: 0,
        values: {},
        tags: {},
        recent: new SampleRing(this.samplesPerDevice),
      }
    // Re-inserted: the Map's order is the order devices were last heard, oldest first.
    this.devices.set(e.device, d)
    if (this.devices.size > this.maxDevices) {
      const oldest = this.devices.keys().next().value
      if (oldest !== undefined) this.devices.delete(oldest)
    }
    d.type = e.type
    d.lastSeen = e.received
    d.values = e.data
    d.tags = e.tags
    d.recent.push(e.time, e.data)
    return d
  }

  get(id: string): SeenDevice | undefined {
    return this.devices.get(id)
  }

  all(): IterableIterator<SeenDevice> {
    return this.devices.values()
  }
}
