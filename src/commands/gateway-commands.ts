import type { Clock } from '../core/clock.js'
import { toMs } from '../core/duration.js'
import type { FileError } from '../core/file-errors.js'
import type { GatewayContext } from '../extension.js'
import { AckingCommandDispatcher } from './acking-dispatcher.js'
import { CommandCatalog } from './command-catalog.js'
import type { CommandOutcome } from './command-outcome.js'
import { commandPoint } from './command-points.js'
import { commandTopic, resultPayload, resultTopic } from './command-topics.js'

export interface GatewayCommandDeps {
  typeOf: (device: string) => string | undefined
  isOnline: (device: string) => boolean
  tagsFor: (device: string) => Readonly<Record<string, string>> | undefined
  clock: Clock
}

/**
 * The acking dispatcher wired to the gateway: commands go out QoS 1 on the broker, every outcome is
 * written to InfluxDB `commands` and published on the result topic, and a timeout (or an expired
 * queued command) becomes a `command_timeout` event for the rules.
 */
export function createGatewayCommands(
  ctx: Pick<GatewayContext, 'config' | 'catalog' | 'broker' | 'sink' | 'emit' | 'logger'>,
  deps: GatewayCommandDeps,
): { dispatcher: AckingCommandDispatcher; publishResult: (o: CommandOutcome) => void; errors: FileError[] } {
  const cfg = ctx.config.devices.commands
  const compiled = CommandCatalog.compile(ctx.catalog.types, {
    timeoutMs: toMs(cfg.timeout),
    retries: cfg.retries,
  })
  const publishResult = (o: CommandOutcome) => {
    if (ctx.broker.closed) return
    ctx.broker.publish(resultTopic(o.device, o.name), resultPayload(o), { qos: 1 }).catch(() => {
      // Results are informational; the InfluxDB point and the event carry the outcome anyway.
    })
  }
  const onOutcome = (o: CommandOutcome) => {
    const line = commandPoint(o, deps.tagsFor(o.device))
    if (line) ctx.sink.write(line, 'derived')
    publishResult(o)
    if ((o.status === 'timeout' || o.status === 'expired') && o.type !== undefined) {
      ctx.emit({
        device: o.device,
        type: o.type,
        stream: 'command_timeout',
        time: o.at,
        received: o.at,
        data: {
          id: o.id,
          name: o.name,
          params: o.params,
          source: o.source,
          attempts: o.attempt,
          reason: o.status,
        },
        tags: { ...deps.tagsFor(o.device) },
        source: 'internal',
        topic: commandTopic(o.device, o.name),
      })
    }
  }
  const dispatcher = new AckingCommandDispatcher(
    {
      commands: compiled.catalog,
      typeOf: deps.typeOf,
      isOnline: deps.isOnline,
      mqtt: {
        deliver: (device, message) => {
          ctx.broker
            .publish(commandTopic(device, message.name), JSON.stringify(message), { qos: 1 })
            .catch((err: unknown) => {
              ctx.logger.warn({ err: (err as Error).message, device }, 'command publish failed')
            })
        },
      },
      onOutcome,
      clock: deps.clock,
    },
    {
      minIntervalMs: toMs(cfg.minInterval),
      maxPending: cfg.maxPending,
      maxPendingPerDevice: cfg.maxPendingPerDevice,
      offline: cfg.offline,
      queueForMs: toMs(cfg.queueFor),
    },
  )
  return { dispatcher, publishResult, errors: compiled.errors }
}
