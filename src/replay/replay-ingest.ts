import type { GatewayConfig } from '../config/schema.js'
import type { Catalog } from '../devices/catalog.js'
import { DeviceRegistry } from '../devices/registry.js'
import { loadRegistry } from '../devices/registry-load.js'
import { newHygieneCounters } from '../ingest/hygiene/counters.js'
import { createHygieneGates } from '../ingest/hygiene/gates.js'
import { Normalizer } from '../ingest/normalize.js'
import type { DeadLetterSink } from '../ingest/pipeline.js'
import type { ReplayOptions } from './run.js'

/** The live ingest for recorded MQTT: the registry's tags and the same hygiene gates as the gateway. */
export function ingestFor(
  catalog: Catalog,
  registryFile: string,
  config: Pick<GatewayConfig, 'devices' | 'ingest'>,
): Pick<ReplayOptions, 'normalizer' | 'gates'> {
  const { entries } = loadRegistry(registryFile, new Set(catalog.types.keys()))
  const tags = new Map(entries.map((e) => [e.id, e.tags]))
  const normalizer = new Normalizer(catalog, {
    deviceTopicPrefix: config.ingest.deviceTopicPrefix,
    enrichTags: (device) => tags.get(device),
  })
  const gates = (deadLetters: DeadLetterSink) =>
    createHygieneGates({
      config: config.devices,
      catalog,
      devices: new DeviceRegistry(entries, {
        allowUnknown: config.devices.allowUnknown,
        unregisteredListSize: config.devices.unregisteredListSize,
      }),
      deadLetters,
      counters: newHygieneCounters(),
    })
  return { normalizer, gates }
}
