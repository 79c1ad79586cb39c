import type { InfluxDB } from 'influx'
import type { Logger } from '../observability/logger.js'
import { influxErrorText } from './admin-client.js'
import type { InfluxSection } from './plan.js'
import { type DatabaseStatus, readStatus } from './status.js'

/** The last series (and disk) reading. */
export interface SeriesWatch {
  /** When the last reading succeeded (epoch ms), null before the first. */
  at: number | null
  byMeasurement: Record<string, number>
  total: number
  diskBytes: number | null
  maxSeries: number | null
  /** total > maxSeries at the last reading. */
  overLimit: boolean
  error: string | null
  /** The whole last reading (policies, continuous queries, disk by policy): what `tidegate influx status` shows. */
  database: DatabaseStatus | null
}

/**
 * Reads the series count per measurement (and disk use) every interval and warns once when the total
 * crosses `influx.maxSeries` (and says so again when it is back under). A failed reading keeps the last
 * figures and records the error; the next interval tries again.
 */
export class SeriesWatcher {
  private watch: SeriesWatch
  private timer: NodeJS.Timeout | null = null
  private reading: Promise<void> | null = null

  constructor(
    private readonly client: InfluxDB,
    private readonly influx: InfluxSection,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {
    this.watch = {
      at: null,
      byMeasurement: {},
      total: 0,
      diskBytes: null,
      maxSeries: influx.maxSeries ?? null,
      overLimit: false,
      error: null,
      database: null,
    }
  }

  start(): void {
    void this.read()
    this.timer = setInterval(() => void this.read(), this.intervalMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  current(): SeriesWatch {
    return { ...this.watch, byMeasurement: { ...this.watch.byMeasurement } }
  }

  setMaxSeries(maxSeries: number | undefined): void {
    this.watch.maxSeries = maxSeries ?? null
    this.judge()
  }

  /** One reading now (also what the interval runs); concurrent calls share the reading in flight. */
  read(): Promise<void> {
    this.reading ??= this.readOnce().finally(() => {
      this.reading = null
    })
    return this.reading
  }

  private async readOnce(): Promise<void> {
    try {
      const s = await readStatus(this.client, this.influx.database)
      this.watch.at = Date.now()
      this.watch.byMeasurement = s.seriesByMeasurement
      this.watch.total = s.seriesTotal
      this.watch.diskBytes = s.diskBytes
      this.watch.error = null
      this.watch.database = s
      this.judge()
    } catch (err) {
      this.watch.error = influxErrorText(err)
    }
  }

  private judge(): void {
    const { maxSeries, total } = this.watch
    const over = maxSeries !== null && total > maxSeries
    if (over && !this.watch.overLimit)
      this.logger.warn(
        { database: this.influx.database, series: total, maxSeries, byMeasurement: this.watch.byMeasurement },
        'influx: series cardinality above influx.maxSeries (a device id in a field key or a free-form tag?)',
      )
    else if (!over && this.watch.overLimit)
      this.logger.info(
        { database: this.influx.database, series: total, maxSeries },
        'influx: series back under influx.maxSeries',
      )
    this.watch.overLimit = over
  }
}
