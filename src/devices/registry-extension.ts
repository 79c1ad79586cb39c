import { join } from 'node:path'
import { type Clock, systemClock, UNREF } from '../core/clock.js'
import { formatFileError } from '../core/file-errors.js'
import type { Extension, GatewayContext } from '../extension.js'
import { checkRegistryAndCommands } from './registry-check.js'
import { loadRegistry } from './registry-load.js'
import { watchFile } from './registry-watch.js'

export const UNREGISTERED_TOPIC = 'tidegate/devices/unregistered'
const UNREGISTERED_PUBLISH_MS = 1000

/** Where the registry file is: `devices.registry`, else `<catalog>/registry.yaml`. */
export function registryPath(ctx: Pick<GatewayContext, 'config' | 'path'>): {
  file: string
  required: boolean
} {
  const explicit = ctx.config.devices.registry
  return explicit
    ? { file: ctx.path(explicit), required: true }
    : { file: join(ctx.path(ctx.config.catalog), 'registry.yaml'), required: false }
}

/**
 * The registry feature: reads `devices/registry.yaml` into the registry (ctx.devices.registry, which ingest
 * and the other features ask), reloads it on change, publishes the retained list of unregistered devices,
 * and serves GET /devices.
 */
export function registryExtension(ctx: GatewayContext, clock: Clock = systemClock): Extension {
  const { registry, availability, commands } = ctx.devices
  // The unregistered list, retained, at most once a second however many newcomers arrive.
  let unregisteredTimer: unknown = null
  const publishUnregisteredSoon = () => {
    if (unregisteredTimer !== null) return
    unregisteredTimer = clock.setTimeout(
      () => {
        unregisteredTimer = null
        if (ctx.broker.closed) return
        ctx.broker
          .publish(UNREGISTERED_TOPIC, JSON.stringify(registry.unregistered()), { qos: 1, retain: true })
          .catch((err: unknown) =>
            ctx.logger.warn({ err: (err as Error).message }, 'unregistered list publish failed'),
          )
      },
      UNREGISTERED_PUBLISH_MS,
      UNREF,
    )
  }
  let unwatch: (() => void) | null = null
  let stopNewcomers: (() => void) | null = null
  /** An edited registry takes effect only when the whole file is valid; otherwise the last good one stays. */
  const reload = (where: { file: string; required: boolean }) => {
    const next = loadRegistry(where.file, new Set(ctx.catalog.types.keys()), where)
    if (next.errors.length) {
      for (const e of next.errors)
        ctx.logger.error({ file: e.file, line: e.line, code: e.code }, `registry: ${formatFileError(e)}`)
      ctx.logger.error(
        { file: where.file, errors: next.errors.length },
        'registry edit rejected; the previous registry stays in force',
      )
      return
    }
    registry.replace(next.entries)
    ctx.logger.info({ file: where.file, registered: next.entries.length }, 'device registry reloaded')
  }

  return {
    name: 'devices',
    async start() {
      const where = registryPath(ctx)
      const loaded = loadRegistry(where.file, new Set(ctx.catalog.types.keys()), where)
      // A bad entry is reported and left out; the good ones are in force.
      for (const e of loaded.errors)
        ctx.logger.error({ file: e.file, line: e.line, code: e.code }, `registry: ${formatFileError(e)}`)
      registry.replace(loaded.entries)
      stopNewcomers = registry.onNewUnregistered(() => publishUnregisteredSoon())
      unwatch = watchFile(
        where.file,
        () => reload(where),
        (err) =>
          ctx.logger.warn(
            { err: err.message, file: where.file },
            'registry file not watched; restart to apply edits',
          ),
      )
      ctx.http.route('/devices', () => ({
        status: 200,
        contentType: 'application/json',
        body: `${JSON.stringify(
          {
            registered: registry.entries().map((e) => ({ id: e.id, type: e.type, tags: e.tags })),
            availability: availability.snapshot(),
            unregistered: registry.unregistered(),
            hygiene: ctx.hygiene,
            commands: { pending: commands.pendingCount, ...commands.counters },
          },
          null,
          2,
        )}\n`,
      }))
      ctx.logger.info(
        { registered: loaded.entries.length, allowUnknown: registry.allowUnknown, file: where.file },
        'device registry loaded',
      )
    },
    async stop() {
      unwatch?.()
      stopNewcomers?.()
      if (unregisteredTimer !== null) clock.clearTimeout(unregisteredTimer)
    },
  }
}

/** `tidegate check`: the registry file and the device types' commands. */
registryExtension.check = checkRegistryAndCommands
