import type { ExtensionFactory } from '../../src/extension.js'
import { extensionFactories } from '../../src/extensions.js'
import type { Gateway } from '../../src/gateway.js'
import { INFLUX_ADMIN, type InfluxAdminView, influxAdminExtension } from '../../src/influx-admin/extension.js'
import type { ShapeStatus } from '../../src/influx-admin/shape-keeper.js'

/** The default features, with the InfluxDB shape feature on test timings (fast retries and polls). */
export function fastShapeExtensions(): ExtensionFactory[] {
  const fast: ExtensionFactory = (ctx) =>
    influxAdminExtension(ctx, { retryBaseMs: 50, retryCapMs: 200, pollIntervalMs: 100 })
  return extensionFactories.map((f) => (f === influxAdminExtension ? fast : f))
}

export { capturedLogger } from '../helpers/captured-logger.js'

export function shapeView(gateway: Gateway): InfluxAdminView {
  return gateway.context.services.get(INFLUX_ADMIN)!
}

/** Polls the feature's status until `done` says yes; returns the last one. */
export async function statusUntil(
  gateway: Gateway,
  done: (s: ShapeStatus) => boolean,
  timeoutMs = 10_000,
): Promise<ShapeStatus> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const s = shapeView(gateway).status()
    if (done(s) || Date.now() > until) return s
    await new Promise((r) => setTimeout(r, 25))
  }
}
