import type { Unlisten } from '../broker/broker.js'
import { formatFileError } from '../core/file-errors.js'
import type { Extension, GatewayContext } from '../extension.js'
import { handleCommandTopic } from './command-topics.js'

/** A device subscribing to its own command topic is ready for queued commands. */
const COMMAND_SUBSCRIPTION_RE = /^devices\/([^/+#]+)\/commands\/(?:#|\+|[^/]+)$/

/**
 * The commands feature: acks from devices and operator requests on `tidegate/commands/<device>/<name>`
 * reach the dispatcher (ctx.commands, built by the composition root); queued commands go out when their
 * device subscribes again.
 */
export function commandsExtension(ctx: GatewayContext): Extension {
  const { registry, availability, commands: dispatcher, publishCommandResult } = ctx.devices
  const admitted = (device: string) => registry.get(device) !== undefined || registry.allowUnknown
  const unlisten: Unlisten[] = []
  const topicDeps = {
    dispatcher,
    publishResult: publishCommandResult,
    // An ack is a sign of life of its device.
    onAckFrom: (device: string) => {
      const type = registry.typeOf(device)
      if (type && admitted(device)) availability.seen(device, type)
    },
    now: () => Date.now(),
  }
  return {
    name: 'commands',
    async start() {
      for (const e of ctx.devices.commandErrors)
        ctx.logger.error(
          { file: e.file, line: e.line, code: e.code },
          `device commands: ${formatFileError(e)}`,
        )
      unlisten.push(
        ctx.broker.onPublish((packet, client) =>
          handleCommandTopic(topicDeps, packet.topic, packet.payload, client?.id ?? null),
        ),
        ctx.broker.onSubscribe((filters) => {
          for (const filter of filters) {
            const device = COMMAND_SUBSCRIPTION_RE.exec(filter)?.[1]
            if (device && availability.isOnline(device)) dispatcher.deviceOnline(device)
          }
        }),
      )
    },
    async stop() {
      for (const off of unlisten.splice(0)) off()
      dispatcher.stop()
    },
  }
}
