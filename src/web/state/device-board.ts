import { type Event, sameTags } from '../../core/event.js'
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
  /** Recent readings for the chart; read them with DeviceBoard.samples (the newest may not be in it yet). */
  recent: SampleRing
  /** Event time of `values` while they are not in `recent` yet; null once they are. */
  valuesAt: number | null
}

/**
 * The devices the gateway heard, with their last values and a ring of recent readings, so a device chart
 * has data without InfluxDB. Bounded: beyond `maxDevices` the least recently heard tenth is forgotten.
 */
export class DeviceBoard {
  private readonly devices = new Map<string, SeenDevice>()

  constructor(
    private readonly maxDevices: number,
    private readonly samplesPerDevice: number,
    /**
     * A type's fields that are not measurements (its time and sequence fields): not charted. A column is
     * 4 bytes a slot, 0.5 KB a device at 120 slots: two such fields would be 1 MB at 1000 devices.
     */
    private readonly notCharted: (type: string) => ReadonlySet<string> | undefined = () => undefined,
  ) {}

  /** A telemetry event; returns the updated device (null for other streams). */
  observe(e: Event): SeenDevice | null {
    if (e.stream !== 'telemetry') return null
    // One Map lookup per event: recency is lastSeen, read only when the board overflows (evictStale).
    let d = this.devices.get(e.device)
    if (d === undefined) {
      d = {
        id: e.device,
        type: e.type,
        lastSeen: 0,
        values: {},
        tags: {},
        recent: new SampleRing(this.samplesPerDevice),
        valuesAt: null,
      }
      this.devices.set(e.device, d)
      if (this.devices.size > this.maxDevices) this.evictStale(d)
    }
    d.type = e.type
    d.lastSeen = e.received
    // The board's own objects, updated in place, not the event's: an event held until the device's next
    // reading outlives the young generation, and at thousands of readings a second every one of them was
    // promoted and left for a full collection. A number written to a field of the same object reuses its box.
    // The chart's ring takes a slot's readings lazily: the board's `values` are the newest reading, and
    // they go into the ring only when a reading starts the next slot, when the next reading has other
    // fields (so a field the newest lacks keeps its slot value, as with a push per reading), or when the
    // chart is read. Most readings only overwrite `values` in place: a push per reading was 2.5 % of the
    // main thread at 10k msg/s.
    const pending = d.valuesAt
    if (pending !== null && SampleRing.opensSlot(pending, e.time)) {
      d.recent.push(pending, d.values, this.notCharted(d.type))
      d.valuesAt = null
    }
    const values = copyInto(d.values, e.data)
    if (values !== d.values && d.valuesAt !== null)
      d.recent.push(d.valuesAt, d.values, this.notCharted(d.type))
    d.values = values
    d.valuesAt = e.time
    if (!sameTags(d.tags, e.tags)) d.tags = e.tags
    return d
  }

  /** A device's recent readings for its chart, oldest first (the same as a ring push per reading). */
  samples(id: string): DeviceSample[] {
    const d = this.devices.get(id)
    if (d === undefined) return []
    if (d.valuesAt !== null) {
      d.recent.push(d.valuesAt, d.values, this.notCharted(d.type))
      d.valuesAt = null
    }
    return d.recent.toArray()
  }

  /**
   * Over the bound: the least recently heard tenth goes at once (one sort per maxDevices/10 new
   * devices, instead of keeping the Map in recency order on every event).
   */
  private evictStale(keep: SeenDevice): void {
    const byAge = [...this.devices.values()].filter((d) => d !== keep).sort((a, b) => a.lastSeen - b.lastSeen)
    const excess = this.devices.size - this.maxDevices
    const drop = Math.max(excess, Math.ceil(this.maxDevices / 10))
    for (let i = 0; i < drop && i < byAge.length; i++) this.devices.delete((byAge[i] as SeenDevice).id)
  }

  /** Devices on the board and the bytes their chart history holds: read per /metrics scrape, not per event. */
  footprint(): { devices: number; chartBytes: number } {
    let chartBytes = 0
    for (const d of this.devices.values()) chartBytes += d.recent.bytes
    return { devices: this.devices.size, chartBytes }
  }

  get(id: string): SeenDevice | undefined {
    return this.devices.get(id)
  }

  all(): IterableIterator<SeenDevice> {
    return this.devices.values()
  }
}

/**
 * `data`'s fields written into `into` when both have the same keys; else a copy of `data`. Runs per event:
 * it counts and looks keys up rather than listing them (no array per event).
 */
function copyInto(
  into: Record<string, unknown>,
  data: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  let keys = 0
  for (const k in data) {
    if (!Object.hasOwn(into, k)) return { ...data }
    keys++
  }
  for (const _ in into) keys--
  if (keys !== 0) return { ...data }
  for (const k in data) into[k] = data[k]
  return into
}
