import type { AvailabilityState } from '../devices/availability.js'
import type { RegistryView } from '../devices/registry.js'
import type { GatewayContext } from '../extension.js'
import { INFLUX_ADMIN, type InfluxAdminView } from '../influx-admin/extension.js'
import { RULES, type RuleFileStatus } from '../rules/extension.js'
import type { AcknowledgeResult } from '../rules/operators/alert-state.js'

/** What the status page reads from the rules feature. */
export interface RulesFeature {
  acknowledge(rule: string, key: string, by: string): AcknowledgeResult
  status(): RuleFileStatus
}

export interface AvailabilityFeature {
  get(device: string): AvailabilityState | undefined
}

/**
 * The other features the status page reads: the device model (registry, availability) from the typed
 * context, the rules feature (which may be absent or switched off) looked up at call time. The one place
 * that knows how features are shared in the gateway context.
 */
export class Features {
  constructor(private readonly ctx: Pick<GatewayContext, 'services' | 'devices'>) {}

  get rules(): RulesFeature | null {
    return this.ctx.services.get(RULES) ?? null
  }

  /** Retention, downsampling and series of the InfluxDB database (absent on a gateway without it). */
  get influxShape(): Pick<InfluxAdminView, 'status'> | null {
    return this.ctx.services.get(INFLUX_ADMIN) ?? null
  }

  get registry(): RegistryView {
    return this.ctx.devices.registry
  }

  get availability(): AvailabilityFeature {
    return this.ctx.devices.availability
  }
}
