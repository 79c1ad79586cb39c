import type { GatewayContext } from '../extension.js'
import type { RateLimitedLog } from '../observability/logger.js'
import { toLine } from '../sinks/influx/line-protocol.js'
import { alertPoint, alertTopic, type RuleEffects } from './effects.js'

export interface GatewayEffectStats {
  commandsRefused: number
  publishFailures: number
}

/**
 * The engine's effects wired to the gateway: alerts retained on `alerts/<rule>/<key>` and into the
 * `alerts` measurement, commands through the acking dispatcher, derived points to the sink,
 * late events to the dead letters.
 */
export function gatewayEffects(
  ctx: GatewayContext,
  log: RateLimitedLog,
  stats: GatewayEffectStats,
): RuleEffects {
  const publish = (topic: string, payload: string, qos: 0 | 1, retain: boolean) => {
    ctx.broker.publish(topic, payload, { qos, retain }).catch((err: unknown) => {
      stats.publishFailures++
      log.warn('rules:publish', { err: (err as Error).message, topic }, 'rule publish failed')
    })
  }
  return {
    onAlertTransition(t) {
      publish(alertTopic(t), JSON.stringify(t), 1, true)
      const line = toLine(alertPoint(t))
      if (line !== null) ctx.sink.write(line, 'alert')
      ctx.logger.info({ rule: t.rule, key: t.key, state: t.state, repeat: t.repeat, mode: t.mode }, t.message)
    },
    onCommand(c) {
      // The acking dispatcher (validation, acks, retries, intervals), fixed for the gateway's lifetime.
      const result = ctx.commands.send({ device: c.device, name: c.name, params: c.params, source: c.source })
      if (!result.accepted) {
        stats.commandsRefused++
        log.warn(
          `rules:command:${c.rule}`,
          { rule: c.rule, device: c.device, command: c.name, reason: result.reason },
          'rule command refused',
        )
      }
    },
    onWrite(p) {
      const line = toLine(p.point)
      if (line !== null) ctx.sink.write(line, 'derived')
    },
    onPublish(m) {
      publish(m.topic, m.payload, m.qos, m.retain)
    },
    onDeadLetter(d) {
      ctx.deadLetters.record(d)
    },
    onError(e) {
      log.warn(
        `rules:error:${e.rule}:${e.part}`,
        { rule: e.rule, part: e.part, key: e.key, err: e.message },
        'rule evaluation failed',
      )
    },
  }
}
