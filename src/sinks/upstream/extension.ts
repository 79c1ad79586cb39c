import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { toMs } from '../../core/duration.js'
import { toBytes } from '../../core/size.js'
import type { Extension, GatewayContext } from '../../extension.js'
import { RateLimitedLog } from '../../observability/logger.js'
import { ServiceKey } from '../../services.js'
import { createOutbox } from '../outbox/create-outbox.js'
import { upstreamConfigChecker } from './config-check.js'
import type { UpstreamConfig } from './config-schema.js'
import { UpstreamConnection } from './connection.js'
import { forwardFilters, receiveSubscriptions } from './filters.js'
import { Forwarder } from './forward.js'
import { remoteTopic } from './message-item.js'
import { UpstreamOutput } from './output.js'
import { UpstreamReceiver } from './receive.js'
import { type UpstreamService, upstreamView } from './view.js'

/** Messages in flight upstream at once (one batch): PUBACKs awaited before the next window goes. */
export const UPSTREAM_WINDOW = 256
/** The upstream bridge's view (stats, metrics, readiness) for the status page and tests. */
export const UPSTREAM = new ServiceKey<UpstreamService>('upstream')

/**
 * Store-and-forward to a central MQTT broker (docs/upstream.md): forward filters → the upstream outbox
 * (its own LMDB folder, `<dataDir>/upstream`) → the upstream output plugin; receive filters → local
 * delivery or the command dispatcher. Null when the config has no `upstream` section.
 */
export function upstreamExtension(ctx: GatewayContext): Extension | null {
  const c = ctx.config.upstream
  if (!c) return null
  const logger = ctx.logger.child({ component: 'upstream' })
  const prefix = c.prefix.replace(/\/+$/, '')
  const filters = forwardFilters(c)
  let connection: UpstreamConnection | null = null
  const unsubscribes: (() => Promise<void>)[] = []
  let stopOutbox: () => Promise<void> = async () => {}
  const receiver = new UpstreamReceiver({
    prefix,
    receive: c.receive,
    broker: ctx.broker,
    commands: () => ctx.commands,
    log: new RateLimitedLog(logger, ctx.config.log.repeatedPerMinute),
  })
  let view: UpstreamService | null = null
  return {
    name: 'upstream',
    metricSamples: () => view?.metricSamples() ?? [],
    readiness: () => view?.readiness() ?? { ready: true },
    async start() {
      connection = new UpstreamConnection(
        connectionOptions(c, prefix, (p) => ctx.path(p)),
        logger,
      )
      connection.onMessage = (topic, payload, retain) => receiver.handle(topic, payload, retain)
      const outbox = createOutbox({
        plugin: new UpstreamOutput(connection, prefix),
        durable: c.buffer.durable,
        dataDir: ctx.path(ctx.config.dataDir),
        folder: 'upstream',
        options: {
          batchSize: UPSTREAM_WINDOW,
          // Forwarding is not batched for efficiency: each message goes as soon as it is stored.
          flushIntervalMs: 0,
          // One window at a time keeps every topic in order across retries.
          concurrency: 1,
          maxBytes: toBytes(c.buffer.maxBytes),
          commitIntervalMs: toMs(c.buffer.commitInterval),
          unackedCommitIntervalMs: toMs(c.buffer.unackedCommitInterval),
          retryBaseMs: 250,
          retryCapMs: 5000,
        },
        logger,
        deadLetter: (d) => ctx.deadLetters.record(d),
      })
      stopOutbox = () => outbox.close(5000)
      const fwd = new Forwarder(filters, outbox, connection, prefix)
      view = upstreamView(outbox, connection, fwd, receiver)
      ctx.services.set(UPSTREAM, view)
      await outbox.start()
      for (const f of filters) unsubscribes.push(await ctx.broker.subscribe(f.filter, fwd.deliver))
      // A client's QoS 1 publish is stored before its PUBACK, not after (see Forwarder.tap).
      ctx.publishTaps.push(fwd.tap)
      unsubscribes.push(async () => {
        const at = ctx.publishTaps.indexOf(fwd.tap)
        if (at >= 0) ctx.publishTaps.splice(at, 1)
      })
    },
    async stop() {
      for (const unsubscribe of unsubscribes.splice(0)) await unsubscribe()
      await stopOutbox()
    },
  }
}

function connectionOptions(c: UpstreamConfig, prefix: string, path: (p: string) => string) {
  const file = (p: string | undefined) => (p === undefined ? undefined : readFileSync(path(p)))
  return {
    url: c.url,
    clientId: c.clientId ?? hostname(),
    username: c.username,
    password:
      c.password ??
      file(c.passwordFile)
        ?.toString('utf8')
        .replace(/\r?\n$/, ''),
    ca: file(c.ca),
    cert: file(c.cert),
    key: file(c.key),
    protocolVersion: c.protocolVersion,
    prefix,
    subscriptions: receiveSubscriptions(c.receive).map((f) => remoteTopic(prefix, f)),
  }
}

/** `tidegate check`: upstream filters, loops, reserved topics, files. */
upstreamExtension.check = upstreamConfigChecker
