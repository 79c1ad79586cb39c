import type { GatewayContext } from '../extension.js'

export interface CheckResult {
  ready: boolean
  [detail: string]: unknown
}

export interface ReadinessReport {
  ready: boolean
  checks: Record<string, CheckResult>
  /** Reported, never a reason to be unready: while InfluxDB is away the gateway buffers. */
  influx: {
    /** ok: writing; buffering: InfluxDB unreachable; auth_failed: credentials refused, delivery paused. */
    state: 'ok' | 'buffering' | 'auth_failed'
    reachable: boolean
    durable: boolean
    pendingPoints: number
    oldestPendingAgeSeconds: number
    lastError: string | null
  }
}

type ReadinessContext = Pick<GatewayContext, 'broker' | 'catalog' | 'sink' | 'features'>

/**
 * Ready = the broker listens, the catalog has at least one device type, and every feature that reports
 * readiness (e.g. `rules`: files loaded) says so. InfluxDB being down does not make the gateway unready:
 * points are kept and sent later, so a load balancer or systemd watchdog must not restart it for that.
 */
export function checkReadiness(ctx: ReadinessContext): ReadinessReport {
  const listeners = ctx.broker.listeners
  const checks: Record<string, CheckResult> = {
    broker: { ready: listeners.length > 0, listeners: listeners.map((l) => `${l.host}:${l.port}`) },
    catalog: { ready: ctx.catalog.types.size > 0, types: ctx.catalog.types.size },
  }
  for (const feature of ctx.features()) {
    if (!feature.readiness) continue
    const key = feature.readinessKey ?? feature.name
    try {
      const r = feature.readiness()
      checks[key] = { ...r.detail, ready: r.ready === true }
    } catch (err) {
      checks[key] = { ready: false, error: (err as Error).message }
    }
  }
  const s = ctx.sink.stats()
  return {
    ready: Object.values(checks).every((c) => c.ready),
    checks,
    influx: {
      state: s.authFailed ? 'auth_failed' : s.reachable ? 'ok' : 'buffering',
      reachable: s.reachable,
      durable: s.durable,
      pendingPoints: s.pendingPoints,
      oldestPendingAgeSeconds: s.oldestPendingAgeMs / 1000,
      lastError: s.lastError,
    },
  }
}
