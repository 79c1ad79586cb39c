import { Acl, type Grant } from '../../broker/acl.js'
import type { Broker } from '../../broker/broker.js'
import type { CommandDispatcher } from '../../core/command.js'
import type { RateLimitedLog } from '../../observability/logger.js'
import { localTopic } from './message-item.js'

const COMMAND_RE = /^devices\/([^/]+)\/commands\/([^/]+)$/

/** Why a message from upstream was not delivered locally. */
export type ReceiveRefusal = 'outside_prefix' | 'reserved' | 'denied' | 'invalid_params'

export interface ReceiveDeps {
  prefix: string
  receive: readonly string[]
  broker: Pick<Broker, 'publish'>
  /** Read at each message: the registry feature installs the acking dispatcher. */
  commands: () => CommandDispatcher
  log: RateLimitedLog
}

/**
 * Delivers what the upstream publishes under the prefix. Limited like an ACL role `upstream` that may
 * publish only its receive filters, and never `tidegate/#` or `alerts/#`. A command
 * (`devices/<id>/commands/<name>`, params as JSON) goes through the command dispatcher like an operator's:
 * validated, tracked, retried, acked (and the ack topic is forwarded back up).
 */
export class UpstreamReceiver {
  readonly counters = { received: 0, delivered: 0, commands: 0 }
  readonly refused: Record<string, number> = {}
  private readonly acl: Acl
  private readonly grant: Grant

  constructor(private readonly deps: ReceiveDeps) {
    this.acl = new Acl({ upstream: { publish: [...deps.receive], subscribe: [] } })
    this.grant = this.acl.grant('upstream', 'upstream', undefined)
  }

  handle(remote: string, payload: Buffer, retain: boolean): void {
    this.counters.received++
    const topic = localTopic(this.deps.prefix, remote)
    if (topic === null) return this.refuse('outside_prefix', remote)
    const decision = topic.startsWith('tidegate/') ? 'reserved' : this.acl.canPublish(this.grant, topic)
    if (decision !== 'allow') return this.refuse(decision, topic)
    const command = COMMAND_RE.exec(topic)
    if (command) return this.command(command[1] as string, command[2] as string, payload, topic)
    this.counters.delivered++
    this.deps.broker.publish(topic, payload, { qos: 1, retain }).catch((err: unknown) => {
      this.deps.log.warn(
        'upstream-publish',
        { err: (err as Error).message, topic },
        'upstream message not delivered locally',
      )
    })
  }

  private command(device: string, name: string, payload: Buffer, topic: string): void {
    let params: unknown
    try {
      params = payload.length === 0 ? {} : JSON.parse(payload.toString('utf8'))
    } catch {
      params = null
    }
    if (typeof params !== 'object' || params === null || Array.isArray(params))
      return this.refuse('invalid_params', topic)
    this.counters.commands++
    // Refusals (unknown command, bad params, offline) are the dispatcher's: counted and published as results.
    this.deps.commands().send({ device, name, params: params as Record<string, unknown>, source: 'upstream' })
  }

  private refuse(reason: ReceiveRefusal, topic: string): void {
    this.refused[reason] = (this.refused[reason] ?? 0) + 1
    this.deps.log.warn(`upstream-refused-${reason}`, { topic, reason }, 'message from upstream refused')
  }
}
