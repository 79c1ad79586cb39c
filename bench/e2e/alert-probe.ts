import mqtt, { type MqttClient } from 'mqtt'

export const PROBE_DEVICE = 'bench-probe'
const PROBE_RULE = 'latency-probe'

/**
 * Measures alert latency while the load runs: a probe device alternates hot and cold readings; the
 * per-event rule `latency-probe` fires on each hot one. Latency = alert arrival − hot publish.
 * Sender and receiver share this process's clock, so no clock sync is involved.
 */
export class AlertProbe {
  readonly latencies: number[] = []
  private client: MqttClient | null = null
  private timer: NodeJS.Timeout | undefined
  private lastHotAt: number | undefined
  private hot = false
  private seq: number

  constructor(
    private readonly url: string,
    seqBase: number,
    private readonly periodMs = 100,
  ) {
    this.seq = seqBase
  }

  async start(): Promise<void> {
    const client = await mqtt.connectAsync(this.url, {
      clientId: `${PROBE_DEVICE}-watch`,
      reconnectPeriod: 0,
    })
    this.client = client
    client.on('message', (_topic, payload, packet) => {
      if (packet.retain || this.lastHotAt === undefined) return
      const body = JSON.parse(payload.toString()) as { state?: string }
      if (body.state === 'firing') this.latencies.push(performance.now() - this.lastHotAt)
    })
    await client.subscribeAsync(`alerts/${PROBE_RULE}/#`, { qos: 0 })
    this.timer = setInterval(() => this.tick(), this.periodMs)
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    const client = this.client
    this.client = null
    await client?.endAsync(true)
  }

  /** Percentiles of the latencies seen so far (ms); undefined without samples. */
  percentiles(): { p50: number; p95: number; p99: number; n: number } | undefined {
    const s = [...this.latencies].sort((a, b) => a - b)
    if (!s.length) return undefined
    const at = (p: number) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0
    return { p50: at(50), p95: at(95), p99: at(99), n: s.length }
  }

  private tick(): void {
    this.hot = !this.hot
    const payload = JSON.stringify({ temperature: this.hot ? 60 : 20, ts: Date.now(), seq: this.seq++ })
    if (this.hot) this.lastHotAt = performance.now()
    this.client?.publish(`devices/${PROBE_DEVICE}/telemetry`, payload, { qos: 0 })
  }
}
