import type { Extension, GatewayContext } from '../extension.js'
import { EventLoopDelay } from './event-loop-delay.js'
import { GatewayMetrics } from './gateway-metrics.js'
import { checkReadiness } from './readiness.js'
import { TrafficCounters } from './traffic-counters.js'

/**
 * GET /readyz always; GET /metrics unless `metrics.enabled` is false. (GET /healthz is the gateway's own:
 * it answers whenever the process can.) Routes are registered at start, before the HTTP listener opens.
 */
export function observabilityExtension(ctx: GatewayContext): Extension {
  const c = ctx.config.metrics
  const traffic = new TrafficCounters(ctx)
  const loop = new EventLoopDelay(c.eventLoopResolutionMs)
  const metrics = new GatewayMetrics(ctx, traffic, loop, { processMetrics: c.process })
  return {
    name: 'observability',
    async start() {
      ctx.http.route('/readyz', () => {
        const report = checkReadiness(ctx)
        return { status: report.ready ? 200 : 503, body: `${JSON.stringify(report)}\n` }
      })
      if (!c.enabled) return
      traffic.start()
      loop.start()
      metrics.register()
      ctx.http.route('/metrics', async () => {
        const { contentType, body } = await metrics.render()
        return { status: 200, body, contentType }
      })
    },
    async stop() {
      traffic.stop()
      loop.stop()
    },
  }
}
