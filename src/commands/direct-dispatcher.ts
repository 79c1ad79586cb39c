import { randomUUID } from 'node:crypto'
import type { Broker } from '../broker/broker.js'
import type { CommandDispatcher, CommandRequest, CommandSendResult } from '../core/command.js'
import type { Logger } from '../observability/logger.js'
import { commandTopic } from './command-topics.js'

/** Publishes a command QoS 1 to `devices/<device>/commands/<name>` with an id; no tracking. */
export class DirectCommandDispatcher implements CommandDispatcher {
  constructor(
    private readonly broker: Broker,
    private readonly logger: Logger,
  ) {}

  send(request: CommandRequest): CommandSendResult {
    const id = randomUUID()
    const payload = JSON.stringify({
      id,
      name: request.name,
      params: request.params,
      source: request.source,
      at: Date.now(),
    })
    this.broker
      .publish(commandTopic(request.device, request.name), payload, { qos: 1 })
      .catch((err: unknown) => {
        this.logger.warn({ err: (err as Error).message, device: request.device }, 'command publish failed')
      })
    return { accepted: true, id }
  }
}
