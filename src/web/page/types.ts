/** Shapes of the JSON API (docs/status-page.md), as the page reads them. */

export interface Overview {
  rates: { in: number; out: number }
  influx: {
    state: string
    reachable: boolean
    pendingPoints: number
    oldestPendingAgeSeconds: number
    delivered: number
    lastError: string | null
  }
  broker: { connections: number; clients: number; refusals: Record<string, number> }
  rules: { loaded: number; errors: number }
  influxShape: {
    state: string
    lastError: string | null
    series: number | null
    maxSeries: number | null
    overLimit: boolean
    diskBytes: number | null
  } | null
  alerts: { firing: number }
  history?: RateSample[]
}

export interface RateSample {
  t: number
  in: number
  out: number
}

export interface DeviceRow {
  id: string
  type: string | null
  registered: boolean
  availability: string | null
  lastSeen: number | null
  values: Record<string, unknown>
  tags: Record<string, string>
}

export interface Alert {
  rule: string
  key: string
  state: string
  previous: string
  severity: string
  message: string
  since: number
  at: number
  repeat: number
  device?: string
  acknowledged?: { by: string; at: number }
}

export interface CommandOutcome {
  id: string
  device: string
  name: string
  params: Record<string, unknown>
  source: string
  status: string
  attempt: number
  reason?: string
  at: number
}

/** What a view does when the server pushes something. */
export interface View {
  el: HTMLElement
  onTick?(overview: Overview, sample: RateSample | null): void
  onDevices?(rows: DeviceRow[]): void
  onChanged?(what: string[]): void
  close?(): void
}
