import { join } from 'node:path'
import type { Unlisten } from '../broker/broker.js'
import type { Subscription } from 'rxjs'
import { ACK_RE, handleCommandTopic } from '../commands/command-topics.js'
import { createGatewayCommands } from '../commands/gateway-commands.js'
import { toMs } from '../core/duration.js'
import { formatFileError } from '../core/file-errors.js'
import type { Extension, GatewayContext } from '../extension.js'
import { hygieneSamples, newHygieneCounters } from '../ingest/hygiene/counters.js'
import { createDedupeGate } from '../ingest/hygiene/dedupe-gate.js'
import { createOrderGate } from '../ingest/hygiene/order-gate.js'
import { createSkewGate } from '../ingest/hygiene/skew-gate.js'
import { createUnknownDeviceGate } from '../ingest/hygiene/unknown-device-gate.js'
import { AvailabilityTracker } from './availability.js'
import { type Clock, systemClock, UNREF } from '../core/clock.js'
import { wireAvailability } from './availability-mqtt.js'
import { createAvailabilityOutput } from './availability-output.js'
import { DeviceRegistry } from './registry.js'
import { loadRegistry } from './registry-load.js'
import { watchFile } from './registry-watch.js'

/** A device subscribing to its own command topic is ready for queued commands. */
const COMMAND_SUBSCRIPTION_RE = /^devices\/([^/+#]+)\/commands\/(?:#|\+|[^/]+)$/
const QUEUE_FLUSH_GRACE_MS = 2000
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
 * The devices feature: registry (tags, unknown devices), availability, ingest hygiene (duplicates,
 * order, clock skew) and commands with acknowledgement. The dispatcher is installed as ctx.commands
 * here, in the factory, so features that start later find it; everything with I/O waits for start().
 */
export function registryExtension(ctx: GatewayContext, clock: Clock = systemClock): Extension {
  const cfg = ctx.config.devices
  const counters = newHygieneCounters()
  // Empty until start() reads the file; reloads replace its entries in place.
  const registry = new DeviceRegistry([], {
    allowUnknown: cfg.allowUnknown,
    unregisteredListSize: cfg.unregisteredListSize,
    now: () => clock.now(),
    onNewUnregistered: () => publishUnregisteredSoon(),
  })
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
  const defaultOfflineAfter = cfg.offlineAfter === undefined ? undefined : toMs(cfg.offlineAfter)
  const tracker = new AvailabilityTracker({
    maxDevices: cfg.maxTracked,
    offlineAfterOf: (type) => {
      const own = ctx.catalog.types.get(type)?.definition.offlineAfter
      return own === undefined ? defaultOfflineAfter : toMs(own)
    },
    clock,
    onChange: (change) => {
      output.publish(change)
      if (change.status !== 'online') return
      // Just connected: a clean-session device cannot receive its queued commands before it subscribes
      // again, so they wait for that SUBSCRIBE (onSubscribe), or a short grace for persistent sessions.
      if (change.reason === 'connected')
        clock.setTimeout(() => dispatcher.deviceOnline(change.device), QUEUE_FLUSH_GRACE_MS, UNREF)
      else dispatcher.deviceOnline(change.device)
    },
  })
  const output = createAvailabilityOutput({
    broker: ctx.broker,
    sink: ctx.sink,
    emit: (e) => ctx.emit(e),
    tagsFor: (d) => registry.tagsFor(d),
    logger: ctx.logger,
  })
  const {
    dispatcher,
    publishResult,
    errors: commandErrors,
  } = createGatewayCommands(ctx, {
    typeOf: (d) => registry.typeOf(d),
    isOnline: (d) => tracker.isOnline(d),
    tagsFor: (d) => registry.tagsFor(d),
    clock,
  })
  ctx.commands = dispatcher

  let subscription: Subscription | null = null
  let unwire: (() => void) | null = null
  let unwatch: (() => void) | null = null
  /** An edited registry takes effect only when the whole file is valid; otherwise the last good one stays. */
  const reload = (where: { file: string; required: boolean }) => {
    const next = loadRegistry(where.file, new Set(ctx.catalog.types.keys()), where)
    if (next.errors.length) {
      for (const e of next.errors)
        ctx.logger.error({ file: e.file, line: e.line }, `registry: ${formatFileError(e)}`)
      ctx.logger.error(
        { file: where.file, errors: next.errors.length },
        'registry edit rejected; the previous registry stays in force',
      )
      return
    }
    registry.replace(next.entries)
    ctx.logger.info({ file: where.file, registered: next.entries.length }, 'device registry reloaded')
  }
  const unlisten: Unlisten[] = []
  const onSubscribe = (filters: readonly string[]) => {
    for (const filter of filters) {
      const device = COMMAND_SUBSCRIPTION_RE.exec(filter)?.[1]
      if (device && tracker.isOnline(device)) dispatcher.deviceOnline(device)
    }
  }
  const admitted = (device: string) => registry.get(device) !== undefined || cfg.allowUnknown

  return {
    name: 'devices',
    async start() {
      for (const e of commandErrors)
        ctx.logger.error({ file: e.file }, `device commands: ${formatFileError(e)}`)
      const where = registryPath(ctx)
      const loaded = loadRegistry(where.file, new Set(ctx.catalog.types.keys()), where)
      // A bad entry is reported and left out; the good ones are in force.
      for (const e of loaded.errors)
        ctx.logger.error({ file: e.file, line: e.line }, `registry: ${formatFileError(e)}`)
      registry.replace(loaded.entries)
      unwatch = watchFile(
        where.file,
        () => reload(where),
        (err) =>
          ctx.logger.warn(
            { err: err.message, file: where.file },
            'registry file not watched; restart to apply edits',
          ),
      )
      ctx.services.set('enrichTags', (device: string) => registry.tagsFor(device))
      ctx.services.set('registry', registry)
      ctx.services.set('availability', tracker)
      ctx.services.set('hygiene', { counters, metricSamples: () => hygieneSamples(counters) })
      ctx.services.set('commands', dispatcher)
      ctx.ingestGates.push(
        createUnknownDeviceGate(registry, ctx.deadLetters, counters),
        createSkewGate(
          { maxMs: toMs(cfg.clockSkew.max), policy: cfg.clockSkew.policy },
          ctx.deadLetters,
          counters,
        ),
        createDedupeGate(
          {
            window: cfg.dedupe.window,
            maxDevices: cfg.maxTracked,
            timeFieldOf: (type) => ctx.catalog.types.get(type)?.timeField,
          },
          ctx.deadLetters,
          counters,
        ),
        createOrderGate(
          { maxDevices: cfg.maxTracked, resetBelow: Math.max(cfg.dedupe.window, 16) },
          counters,
        ),
      )
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
        republish: (device) => {
          const state = tracker.get(device)
          if (state) output.republish(device, state)
        },
      })
      const topicDeps = {
        dispatcher,
        publishResult,
        onAckFrom: (device: string) => {
          const type = registry.typeOf(device)
          if (type && admitted(device)) tracker.seen(device, type)
        },
        now: () => clock.now(),
      }
      unlisten.push(
        ctx.broker.onPublish((packet, client) =>
          handleCommandTopic(topicDeps, packet.topic, packet.payload, client?.id ?? null),
        ),
        ctx.broker.onSubscribe(onSubscribe),
      )
      ctx.http.route('/devices', () => ({
        status: 200,
        contentType: 'application/json',
        body: `${JSON.stringify(
          {
            registered: registry.entries().map((e) => ({ id: e.id, type: e.type, tags: e.tags })),
            availability: tracker.snapshot(),
            unregistered: registry.unregistered(),
            hygiene: counters,
            commands: { pending: dispatcher.pendingCount, ...dispatcher.counters },
          },
          null,
          2,
        )}\n`,
      }))
      ctx.logger.info(
        { registered: loaded.entries.length, allowUnknown: cfg.allowUnknown, file: where.file },
        'device registry loaded',
      )
    },
    async stop() {
      subscription?.unsubscribe()
      unwatch?.()
      unwire?.()
      for (const off of unlisten.splice(0)) off()
      tracker.stop()
      if (unregisteredTimer !== null) clock.clearTimeout(unregisteredTimer)
      dispatcher.stop()
    },
  }
}
