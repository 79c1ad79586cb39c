import type { Broker } from '../broker/broker.js'
import type { Event } from '../core/event.js'
import type { Logger } from '../observability/logger.js'
import { toLine } from '../sinks/influx/line-protocol.js'
import type { PointSink } from '../sinks/sink.js'
import type { AvailabilityChange, AvailabilityState } from './availability.js'

export const availabilityTopic = (device: string) => `devices/${device}/availability`

/** The retained payload on `devices/<id>/availability`. */
export function availabilityPayload(state: AvailabilityState): string {
  return JSON.stringify({ status: state.status, since: state.since, reason: state.reason })
}

export interface AvailabilityOutputDeps {
  broker: Broker
  sink: PointSink
  emit: (event: Event) => void
  tagsFor: (device: string) => Readonly<Record<string, string>> | undefined
  logger: Logger
}

/** Sends a change everywhere it is wanted: retained MQTT, InfluxDB `availability`, and the event stream. */
export function createAvailabilityOutput(deps: AvailabilityOutputDeps): {
  publish(change: AvailabilityChange): void
  republish(device: string, state: AvailabilityState): void
} {
  const retain = (device: string, state: AvailabilityState) => {
    // A closed broker (shutdown) has nobody to tell; the InfluxDB point still records the change.
    if (deps.broker.closed) return
    deps.broker
      .publish(availabilityTopic(device), availabilityPayload(state), { qos: 1, retain: true })
      .catch((err: unknown) => {
        deps.logger.warn({ err: (err as Error).message, device }, 'availability publish failed')
      })
  }
  return {
    publish(change) {
      retain(change.device, change)
      const tags = { ...deps.tagsFor(change.device) }
      const line = toLine({
        measurement: 'availability',
        tags: { ...tags, device: change.device, type: change.type },
        fields: { status: change.status, online: change.status === 'online' ? 1 : 0, reason: change.reason },
        time: change.since,
        integerFields: new Set(['online']),
      })
      if (line) deps.sink.write(line, 'derived')
      deps.emit({
        device: change.device,
        type: change.type,
        stream: 'availability',
        time: change.since,
        received: change.since,
        data: {
          status: change.status,
          reason: change.reason,
          since: change.since,
          previous: change.previous,
        },
        tags,
        source: 'internal',
        topic: availabilityTopic(change.device),
      })
    },
    /** Puts the gateway's view back on the topic after a device wrote there itself (a will, a status). */
    republish: retain,
  }
}
