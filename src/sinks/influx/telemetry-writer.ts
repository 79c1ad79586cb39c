import type { Subscription } from 'rxjs'
import type { Extension, GatewayContext } from '../../extension.js'
import { EventPointMapper } from './event-point.js'

/** Writes every telemetry event to InfluxDB as a point of its type's measurement. */
export function telemetryWriterExtension(ctx: GatewayContext): Extension {
  const mapper = new EventPointMapper(ctx.catalog.types)
  let subscription: Subscription | null = null
  return {
    name: 'telemetry-writer',
    async start() {
      subscription = ctx.events.subscribe((event) => {
        if (event.stream !== 'telemetry') return
        const line = mapper.toLine(event)
        if (line !== null) ctx.sink.write(line, 'telemetry')
      })
    },
    async stop() {
      subscription?.unsubscribe()
    },
  }
}
