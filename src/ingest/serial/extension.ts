import type { Event } from '../../core/event.js'
import type { Extension, GatewayContext } from '../../extension.js'
import { ServiceKey } from '../../services.js'
import { checkSerialPorts, portLabel } from './check.js'
import { SerialCommandRouter } from './command-router.js'
import { serialConfigChecker } from './config-checker.js'
import { serialSamples } from './metrics.js'
import type { ListPorts } from './port-locator.js'
import type { SerialPortStats } from './port-stats.js'
import { SerialSource } from './serial-source.js'

/** What the serial feature offers others (status page, tests) under `ctx.services.get(SERIAL)`. */
export interface SerialService {
  stats(): SerialPortStats[]
}
export const SERIAL = new ServiceKey<SerialService>('serial')

export interface SerialExtension extends Extension {
  stats(): SerialPortStats[]
}

/**
 * Serial ingestion and actuation: one SerialSource per `serial[]` entry, one command router for all.
 * A bad entry or a missing port is logged and left out; the other ports and the gateway keep running.
 */
export function serialExtension(
  ctx: GatewayContext,
  options: { listPorts?: ListPorts } = {},
): SerialExtension | null {
  const ports = ctx.config.serial
  if (ports.length === 0) return null
  const log = ctx.logger.child({ feature: 'serial' })
  const router = new SerialCommandRouter(ctx.broker, log)
  const sources: SerialSource[] = []
  const extension: SerialExtension = {
    name: 'serial',
    async start() {
      const problems = checkSerialPorts(ports, new Set(ctx.catalog.types.keys()))
      const bad = new Set(problems.map((p) => p.index))
      for (const p of problems)
        log.error(
          { port: portLabel(ports[p.index] ?? ports[0]!), code: p.code },
          `serial[${p.index}]${p.path}: ${p.message}`,
        )
      ports.forEach((config, i) => {
        const type = ctx.catalog.types.get(config.type)
        if (bad.has(i) || !type) return
        const deps = {
          type,
          normalizer: ctx.normalizer,
          deadLetters: ctx.deadLetters,
          emit: (event: Event) => ctx.emit(event),
          logger: log,
          bindDevice: (device: string, source: SerialSource, learned: boolean) =>
            learned ? router.learn(device, source) : router.bindFixed(device, source),
          listPorts: options.listPorts,
        }
        // One entry that cannot be built (a bug, an input the checks missed) must not stop the others.
        try {
          sources.push(new SerialSource(config, deps))
        } catch (err) {
          log.error({ port: portLabel(config), err: (err as Error).message }, `serial[${i}] left out`)
        }
      })
      ctx.services.set(SERIAL, { stats: () => extension.stats() })
      await router.start()
      // Ports open side by side: one slow or missing port does not hold up the others.
      await Promise.all(sources.map((s) => s.start()))
    },
    async stop() {
      await router.stop()
      await Promise.all(sources.map((s) => s.stop()))
    },
    stats: () => sources.map((s) => ({ ...s.stats, errors: { ...s.stats.errors } })),
    metricSamples: () => serialSamples(extension.stats()),
  }
  return extension
}

/** `tidegate check`: the `serial:` entries. */
serialExtension.check = serialConfigChecker
