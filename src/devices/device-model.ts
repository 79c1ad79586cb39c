import type { AckingCommandDispatcher } from '../commands/acking-dispatcher.js'
import type { CommandOutcome } from '../commands/command-outcome.js'
import { createGatewayCommands } from '../commands/gateway-commands.js'
import type { Clock } from '../core/clock.js'
import { UNREF } from '../core/clock.js'
import { toMs } from '../core/duration.js'
import type { FileError } from '../core/file-errors.js'
import type { GatewayContext } from '../extension.js'
import { AvailabilityTracker } from './availability.js'
import { createAvailabilityOutput } from './availability-output.js'
import { DeviceRegistry } from './registry.js'

/** A device just connected: queued commands wait this long for its SUBSCRIBE (persistent sessions have none). */
const QUEUE_FLUSH_GRACE_MS = 2000

/**
 * What the gateway knows about its devices, in memory, answering questions: the registry (known? type?
 * tags?), availability (online?) and the command dispatcher (acks, retries, queue). Built once by the
 * composition root, so ingest, rules and features share the same objects from the start; the registry,
 * availability and commands features do the I/O (files, MQTT) around them.
 */
export interface DeviceModel {
  registry: DeviceRegistry
  availability: AvailabilityTracker
  /** Puts the gateway's view back on `devices/<id>/availability` (a device wrote there itself). */
  republishAvailability: (device: string) => void
  commands: AckingCommandDispatcher
  /** Publishes a command outcome on its result topic (also for requests refused before the dispatcher). */
  publishCommandResult: (o: CommandOutcome) => void
  /** Problems in the device types' `commands:` (reported by the commands feature at start). */
  commandErrors: FileError[]
  /** Other views of "online" (a cluster: connected to another node); commands go to such a device too. */
  onlineElsewhere: ((device: string) => boolean)[]
}

export function createDeviceModel(
  ctx: Pick<GatewayContext, 'config' | 'catalog' | 'broker' | 'sink' | 'emit' | 'logger'>,
  clock: Clock,
): DeviceModel {
  const cfg = ctx.config.devices
  // Empty until the registry feature reads the file; reloads replace its entries in place.
  const onlineElsewhere: ((device: string) => boolean)[] = []
  const registry = new DeviceRegistry([], {
    allowUnknown: cfg.allowUnknown,
    unregisteredListSize: cfg.unregisteredListSize,
    now: () => clock.now(),
  })
  const output = createAvailabilityOutput({
    broker: ctx.broker,
    sink: ctx.sink,
    emit: (e) => ctx.emit(e),
    tagsFor: (d) => registry.tagsFor(d),
    logger: ctx.logger,
  })
  const defaultOfflineAfter = cfg.offlineAfter === undefined ? undefined : toMs(cfg.offlineAfter)
  const availability = new AvailabilityTracker({
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
      // again, so they wait for that SUBSCRIBE (commands feature), or a short grace for persistent sessions.
      if (change.reason === 'connected')
        clock.setTimeout(() => commands.deviceOnline(change.device), QUEUE_FLUSH_GRACE_MS, UNREF)
      else commands.deviceOnline(change.device)
    },
  })
  const {
    dispatcher: commands,
    publishResult,
    errors,
  } = createGatewayCommands(ctx, {
    typeOf: (d) => registry.typeOf(d),
    isOnline: (d) => availability.isOnline(d) || onlineElsewhere.some((online) => online(d)),
    tagsFor: (d) => registry.tagsFor(d),
    clock,
  })
  return {
    registry,
    availability,
    republishAvailability: (device) => {
      const state = availability.get(device)
      if (state) output.republish(device, state)
    },
    commands,
    publishCommandResult: publishResult,
    commandErrors: errors,
    onlineElsewhere,
  }
}
