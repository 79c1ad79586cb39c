import type { Subscription } from 'rxjs'
import { ACK_RE } from '../commands/command-topics.js'
import type { Extension, GatewayContext } from '../extension.js'
import { wireAvailability } from './availability-mqtt.js'

/**
 * The availability feature: feeds the tracker (ctx.devices.availability) from broker connections, the
 * devices' own status messages and their telemetry; changes go out retained on
 * `devices/<id>/availability`, to InfluxDB and as `availability` events (device-model.ts).
 */
export function availabilityExtension(ctx: GatewayContext): Extension {
  const { registry, availability: tracker } = ctx.devices
  const admitted = (device: string) => registry.get(device) !== undefined || registry.allowUnknown
  let subscription: Subscription | null = null
  let unwire: (() => void) | null = null
  return {
    name: 'availability',
    async start() {
      subscription = ctx.events.subscribe((event) => {
        if (event.stream === 'telemetry') tracker.seen(event.device, event.type)
      })
      unwire = wireAvailability(ctx.broker, {
        tracker,
        deviceOfTopic: (topic) => {
          const hit = ctx.catalog.resolve(topic)[0]
          if (hit) return { device: hit.device, type: hit.type.name }
          // A device that only answers commands is learnt from its acks.
          const ack = ACK_RE.exec(topic)
          const type = ack ? registry.typeOf(ack[1] as string) : undefined
          return ack && type ? { device: ack[1] as string, type } : null
        },
        typeOf: (d) => registry.typeOf(d),
        admitted,
        republish: (device) => ctx.devices.republishAvailability(device),
      })
    },
    async stop() {
      subscription?.unsubscribe()
      unwire?.()
      tracker.stop()
    },
  }
}
