import { type Clock, UNREF } from '../core/clock.js'

export type AvailabilityStatus = 'online' | 'offline'

/**
 * Why a device changed state:
 * connected/disconnected (clean MQTT DISCONNECT), connection_lost (socket dropped, no will),
 * will (socket dropped, the device's will fired), silent (no message for the type's offlineAfter),
 * message (a message after being offline), announced (the device published its own status).
 */
export type AvailabilityReason =
  | 'connected'
  | 'disconnected'
  | 'connection_lost'
  | 'will'
  | 'silent'
  | 'message'
  | 'announced'

export interface AvailabilityState {
  status: AvailabilityStatus
  /** Epoch ms of the last change. */
  since: number
  reason: AvailabilityReason
}

export interface AvailabilityChange extends AvailabilityState {
  device: string
  type: string
  previous: AvailabilityStatus | null
}

interface DeviceState extends AvailabilityState {
  type: string
  lastSeen: number
  /** MQTT connections currently speaking for this device. */
  connections: number
  timer: unknown
  /** False until the first change is reported (its `previous` is then null). */
  known: boolean
}

export interface AvailabilityOptions {
  /** Devices kept at most; when full, the oldest offline device (or else the oldest) is forgotten. */
  maxDevices?: number
  /** Silence timeout for a type in ms, undefined for none. */
  offlineAfterOf: (type: string) => number | undefined
  clock: Clock
  onChange: (change: AvailabilityChange) => void
}

/**
 * Online/offline per device from three signals: MQTT connections, messages and silence. Pure state:
 * the MQTT wiring (availability-mqtt.ts) feeds it, the output (availability-output.ts) publishes changes.
 */
export class AvailabilityTracker {
  private readonly devices = new Map<string, DeviceState>()

  constructor(private readonly options: AvailabilityOptions) {}

  get(device: string): AvailabilityState | undefined {
    const s = this.devices.get(device)
    return s ? { status: s.status, since: s.since, reason: s.reason } : undefined
  }

  isOnline(device: string): boolean {
    return this.devices.get(device)?.status === 'online'
  }

  snapshot(): Record<string, AvailabilityState & { type: string; lastSeen: number }> {
    const out: Record<string, AvailabilityState & { type: string; lastSeen: number }> = {}
    for (const [id, s] of this.devices)
      out[id] = { status: s.status, since: s.since, reason: s.reason, type: s.type, lastSeen: s.lastSeen }
    return out
  }

  /** An MQTT client speaking for `device` connected. */
  connected(device: string, type: string): void {
    const s = this.state(device, type)
    s.connections++
    this.alive(device, s, 'connected')
  }

  /** One of the device's MQTT connections ended; the device is offline when none is left. */
  disconnected(device: string, reason: 'disconnected' | 'connection_lost' | 'will'): void {
    const s = this.devices.get(device)
    if (!s) return
    s.connections = Math.max(0, s.connections - 1)
    if (s.connections === 0) this.goOffline(device, s, reason)
  }

  /** A message (telemetry, ack, any publish) from the device: a sign of life. */
  seen(device: string, type: string): void {
    const s = this.state(device, type)
    this.alive(device, s, 'message')
  }

  /** The device published its own status on its availability topic. */
  announced(device: string, type: string, status: AvailabilityStatus): void {
    const s = this.state(device, type)
    if (status === 'online') this.alive(device, s, 'announced')
    else this.goOffline(device, s, 'announced')
  }

  stop(): void {
    for (const s of this.devices.values()) this.disarm(s)
  }

  private state(device: string, type: string): DeviceState {
    let s = this.devices.get(device)
    if (!s) {
      if (this.devices.size >= (this.options.maxDevices ?? Number.POSITIVE_INFINITY)) this.forgetOne()
      s = {
        type,
        status: 'offline',
        since: this.options.clock.now(),
        reason: 'disconnected',
        lastSeen: 0,
        connections: 0,
        timer: null,
        known: false,
      }
      this.devices.set(device, s)
    }
    return s
  }

  /**
   * Bounded memory against a client inventing device ids: drop the oldest offline device among the
   * first few, else the oldest of all (it is tracked again, as new, when it is next heard from).
   */
  private forgetOne(): void {
    let victim: string | undefined
    let checked = 0
    for (const [id, s] of this.devices) {
      victim ??= id
      if (s.status === 'offline' && s.connections === 0) {
        victim = id
        break
      }
      if (++checked >= 64) break
    }
    if (victim === undefined) return
    const s = this.devices.get(victim)
    if (s) this.disarm(s)
    this.devices.delete(victim)
  }

  private alive(device: string, s: DeviceState, reason: AvailabilityReason): void {
    s.lastSeen = this.options.clock.now()
    if (s.status !== 'online') this.change(device, s, 'online', reason)
    if (s.timer === null) this.arm(device, s)
  }

  private goOffline(device: string, s: DeviceState, reason: AvailabilityReason): void {
    this.disarm(s)
    if (s.status !== 'offline' || !s.known) this.change(device, s, 'offline', reason)
  }

  private change(
    device: string,
    s: DeviceState,
    status: AvailabilityStatus,
    reason: AvailabilityReason,
  ): void {
    const previous = s.known ? s.status : null
    s.known = true
    s.status = status
    s.reason = reason
    s.since = this.options.clock.now()
    this.options.onChange({ device, type: s.type, status, since: s.since, reason, previous })
  }

  /**
   * One timer per online device, armed for lastSeen + offlineAfter. Messages only move lastSeen; when the
   * timer fires early (there was a message meanwhile) it re-arms for the rest, so the hot path sets no timers.
   */
  private arm(device: string, s: DeviceState): void {
    const limit = this.options.offlineAfterOf(s.type)
    if (limit === undefined) return
    const wait = Math.max(0, s.lastSeen + limit - this.options.clock.now())
    s.timer = this.options.clock.setTimeout(
      () => {
        s.timer = null
        if (s.status !== 'online') return
        if (this.options.clock.now() - s.lastSeen >= limit) this.goOffline(device, s, 'silent')
        else this.arm(device, s)
      },
      wait,
      UNREF,
    )
  }

  private disarm(s: DeviceState): void {
    if (s.timer !== null) this.options.clock.clearTimeout(s.timer)
    s.timer = null
  }
}
