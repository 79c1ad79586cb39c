import { InfluxDB, type ISingleHostConfig, escape as influxql } from 'influx'
import type { GatewayConfig } from '../../config/schema.js'
import type { PointSinkStats } from '../../sinks/sink.js'
import type { DeviceSample } from '../state/device-board.js'

export interface DeviceHistory {
  /** Where the samples come from: InfluxDB (the last hour) or the gateway's memory (recent readings). */
  source: 'influxdb' | 'memory'
  samples: DeviceSample[]
  /** Why InfluxDB was not used, when it was not. */
  note?: string
}

const HISTORY_LIMIT = 5000
const QUERY_TIMEOUT_MS = 3000

/**
 * A device's last hour of numeric fields from InfluxDB through the `influx` package (InfluxQL, v1 API),
 * when InfluxDB is reachable; otherwise the caller's in-memory ring, so a gateway without InfluxDB still
 * charts live data.
 */
export class DeviceHistorySource {
  private client: InfluxDB | null = null

  constructor(
    private readonly config: GatewayConfig['influx'],
    private readonly sinkStats: () => PointSinkStats,
  ) {}

  async history(
    device: string,
    measurement: string | null,
    memory: () => DeviceSample[],
  ): Promise<DeviceHistory> {
    const fallback = (note: string): DeviceHistory => ({ source: 'memory', samples: memory(), note })
    if (measurement === null) return fallback('device type unknown')
    if (this.config.api !== 'v1') return fallback('InfluxDB v2: history from InfluxDB needs the v1 query API')
    if (!this.sinkStats().reachable) return fallback('InfluxDB unreachable')
    try {
      const rows = await this.influx().query<Record<string, unknown>>(
        `SELECT * FROM ${influxql.measurement(measurement)} WHERE "device" = ${influxql.stringLit(device)} AND time > now() - 1h ORDER BY time ASC LIMIT ${HISTORY_LIMIT}`,
      )
      return { source: 'influxdb', samples: rows.map(toSample) }
    } catch (err) {
      return fallback(`InfluxDB query failed: ${(err as Error).message}`)
    }
  }

  private influx(): InfluxDB {
    if (this.client) return this.client
    const url = new URL(this.config.url)
    const config: ISingleHostConfig = {
      host: url.hostname,
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      protocol: url.protocol === 'https:' ? 'https' : 'http',
      username: this.config.username ?? 'root',
      password: this.config.password ?? 'root',
      database: this.config.database,
      options: { timeout: QUERY_TIMEOUT_MS },
    }
    this.client = new InfluxDB(config)
    return this.client
  }
}

function toSample(row: Record<string, unknown>): DeviceSample {
  const v: Record<string, number> = {}
  for (const [k, x] of Object.entries(row)) {
    if (k === 'time') continue
    if (typeof x === 'number' && Number.isFinite(x)) v[k] = x
    else if (typeof x === 'boolean') v[k] = x ? 1 : 0
  }
  return { t: (row.time as Date).getTime(), v }
}
