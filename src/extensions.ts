import { clusterExtension } from './cluster/extension.js'
import { commandsExtension } from './commands/extension.js'
import { availabilityExtension } from './devices/availability-extension.js'
import { registryExtension } from './devices/registry-extension.js'
import type { ExtensionFactory } from './extension.js'
import { influxAdminExtension } from './influx-admin/extension.js'
import { serialExtension } from './ingest/serial/extension.js'
import { journalExtension } from './journal/extension.js'
import { observabilityExtension } from './observability/extension.js'
import { rulesExtension } from './rules/extension.js'
import { telemetryWriterExtension } from './sinks/influx/telemetry-writer.js'
import { upstreamExtension } from './sinks/upstream/extension.js'
import { statusPageExtension } from './web/extension.js'

/**
 * Every feature of the gateway, in start order (stop runs in reverse). A feature adds one line here;
 * a factory returns null when its feature is switched off in the config.
 */
export const extensionFactories: ExtensionFactory[] = [
  observabilityExtension,
  telemetryWriterExtension,
  registryExtension,
  availabilityExtension,
  commandsExtension,
  journalExtension,
  serialExtension,
  rulesExtension,
  clusterExtension,
  influxAdminExtension,
  statusPageExtension,
  upstreamExtension,
]
