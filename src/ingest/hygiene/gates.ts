import type { GatewayConfig } from '../../config/schema.js'
import { toMs } from '../../core/duration.js'
import type { Catalog } from '../../devices/catalog.js'
import type { DeadLetterSink, EventGate } from '../pipeline.js'
import type { HygieneCounters } from './counters.js'
import { createDedupeGate } from './dedupe-gate.js'
import { createOrderGate } from './order-gate.js'
import { createSkewGate } from './skew-gate.js'
import { createUnknownDeviceGate, type DeviceAdmission } from './unknown-device-gate.js'

/** The ingest hygiene gates in their order, from `devices:` in the config (docs/device-protocol.md). */
export function createHygieneGates(parts: {
  config: Readonly<GatewayConfig['devices']>
  catalog: Catalog
  /** The registry's answer to "may this device's telemetry in?" (it notes unregistered devices). */
  devices: DeviceAdmission
  deadLetters: DeadLetterSink
  counters: HygieneCounters
  now?: () => number
}): EventGate[] {
  const { config: cfg, deadLetters, counters, now } = parts
  return [
    createUnknownDeviceGate(parts.devices, deadLetters, counters, now),
    createSkewGate(
      { maxMs: toMs(cfg.clockSkew.max), policy: cfg.clockSkew.policy, now },
      deadLetters,
      counters,
    ),
    createDedupeGate(
      {
        window: cfg.dedupe.window,
        maxDevices: cfg.maxTracked,
        timeFieldOf: (type) => parts.catalog.types.get(type)?.timeField,
        now,
      },
      deadLetters,
      counters,
    ),
    createOrderGate({ maxDevices: cfg.maxTracked, resetBelow: Math.max(cfg.dedupe.window, 16) }, counters),
  ]
}
