import type { Subscription } from 'rxjs'
import type { BrokerMessage } from '../broker/broker.js'
import type { CommandOutcome } from '../commands/command-outcome.js'
import type { Extension, GatewayContext } from '../extension.js'
import type { AlertTransition } from '../rules/effects.js'
import { DeviceHistorySource } from './api/device-history.js'
import { apiHandler } from './api/routes.js'
import { SseHub } from './api/sse-hub.js'
import { WebAccess } from './auth/web-access.js'
import { Features } from './features.js'
import { pageHandler } from './page-assets.js'
import { StatusModel } from './status-model.js'

/** Sessions of the login form last this long after their last use. */
const SESSION_TTL_MS = 12 * 3600_000
/** Device values, alert, command and dead-letter changes reach open pages within this (coalesced). */
const PUSH_MS = 250
const TICK_MS = 1000
const KEEPALIVE_EVERY_TICKS = 15

/** Broker topics the page reads: what MQTT subscribers see is what the page shows. */
const ALERTS = 'alerts/#'
const COMMAND_RESULTS = 'tidegate/commands/+/+/result'

/**
 * The status page on the `http` listener: GET / (the page), /api/... (JSON, docs/status-page.md) and
 * /api/events (Server-Sent Events). Read-only views of the other features; operator actions go through
 * the rules' acknowledgement seam and the same command dispatcher MQTT operators use.
 */
export function statusPageExtension(ctx: GatewayContext): Extension {
  const features = new Features(ctx)
  const model = new StatusModel(ctx, features)
  const hub = new SseHub()
  const access = new WebAccess({
    auth: ctx.config.mqtt.auth,
    roles: ctx.config.mqtt.acl.roles,
    sessionTtlMs: SESSION_TTL_MS,
  })
  const history = new DeviceHistorySource(ctx.config.influx, () => ctx.sink.stats())
  const dirtyDevices = new Set<string>()
  const changed = new Set<'alerts' | 'commands' | 'deadletters'>()
  const timers: NodeJS.Timeout[] = []
  let subscription: Subscription | null = null
  let running = false
  let ticks = 0

  const unsubscribes: (() => Promise<void>)[] = []
  const deliver = (message: BrokerMessage) => {
    try {
      const body = JSON.parse(message.payload.toString('utf8')) as unknown
      if (message.topic.startsWith('alerts/')) {
        model.onAlert(body as AlertTransition)
        changed.add('alerts')
      } else {
        model.onCommand(body as CommandOutcome)
        changed.add('commands')
      }
    } catch {
      // Only the gateway writes these topics, as JSON; anything else is not ours to show.
    }
  }

  function push(): void {
    if (dirtyDevices.size) {
      const rows = [...dirtyDevices].map((id) => model.deviceRow(id)).filter((r) => r !== null)
      dirtyDevices.clear()
      hub.send('devices', rows)
    }
    if (changed.size) {
      hub.send('changed', [...changed])
      changed.clear()
    }
  }

  function tick(): void {
    const sample = model.tick(Date.now())
    hub.send('tick', { overview: model.overview(), sample })
    if (++ticks % KEEPALIVE_EVERY_TICKS === 0) hub.keepAlive()
  }

  return {
    name: 'status-page',
    async start() {
      running = true
      subscription = ctx.events.subscribe((e) => {
        const d = model.onEvent(e)
        // Only a page that is open needs device updates pushed (the model is kept either way).
        if (d && hub.size > 0) dirtyDevices.add(d.id)
      })
      ctx.deadLetters.onRecord((d) => {
        if (!running) return
        model.onDeadLetter(d)
        changed.add('deadletters')
      })
      for (const filter of [ALERTS, COMMAND_RESULTS])
        unsubscribes.push(await ctx.broker.subscribe(filter, deliver))
      ctx.http.mount(pageHandler())
      ctx.http.mount(
        apiHandler({
          access,
          model,
          features,
          history,
          hub,
          catalog: ctx.catalog,
          commands: () => ctx.commands,
          sessionTtlMs: SESSION_TTL_MS,
        }),
      )
      timers.push(setInterval(push, PUSH_MS), setInterval(tick, TICK_MS))
      for (const t of timers) t.unref()
    },
    metricSamples() {
      const { devices, chartBytes } = model.devices.footprint()
      return [
        {
          name: 'tidegate_status_devices',
          help: 'Devices the status page keeps (last values and chart history); bounded, least recently heard forgotten first',
          type: 'gauge',
          value: devices,
        },
        {
          name: 'tidegate_status_chart_bytes',
          help: "Bytes of the status page's in-memory chart history (typed arrays, outside the V8 heap)",
          type: 'gauge',
          value: chartBytes,
        },
      ]
    },
    async stop() {
      running = false
      for (const t of timers) clearInterval(t)
      subscription?.unsubscribe()
      hub.closeAll()
      for (const unsubscribe of unsubscribes.splice(0)) await unsubscribe()
    },
  }
}
