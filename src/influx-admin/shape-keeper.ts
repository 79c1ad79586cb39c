import type { InfluxDB } from 'influx'
import { backoffDelay } from '../core/backoff.js'
import type { Logger } from '../observability/logger.js'
import { adminClientFor, influxErrorText } from './admin-client.js'
import { type InfluxSection, planFor } from './plan.js'
import { reconcile } from './reconcile.js'
import { type SeriesWatch, SeriesWatcher } from './series-watcher.js'

export interface ShapeKeeperOptions {
  /** First retry after a failed reconciliation; doubles (with jitter) up to retryCapMs. */
  retryBaseMs?: number
  retryCapMs?: number
  /** How often series counts (and disk use) are read. */
  pollIntervalMs?: number
}

/** The typed read API of the feature: `/readyz`, metrics, the CLI and the status page read this. */
export interface ShapeStatus {
  /** unmanaged: api v2 (nothing is applied); pending: first attempt running; applied / retrying. */
  state: 'unmanaged' | 'pending' | 'applied' | 'retrying'
  database: string
  lastAppliedAt: number | null
  /** What the last successful reconciliation changed (empty: the database already matched). */
  lastChanges: string[]
  lastError: string | null
  failures: number
  nextRetryInMs: number | null
  series: SeriesWatch
}

/**
 * Keeps the database in the shape the config asks for: applies the plan at start and on reload, retries
 * with backoff while InfluxDB is down or refuses (no admin rights), and watches the series count. It never
 * blocks or stops ingest: writes go through the outbox whatever happens here.
 */
export class ShapeKeeper {
  private influx: InfluxSection
  private readonly client: InfluxDB
  private readonly watcher: SeriesWatcher
  private state: ShapeStatus['state'] = 'pending'
  private lastAppliedAt: number | null = null
  private lastChanges: string[] = []
  private lastError: string | null = null
  private failures = 0
  private attempt = 0
  private retryTimer: NodeJS.Timeout | null = null
  private retryAt: number | null = null
  private chain: Promise<void> = Promise.resolve()
  private stopped = false
  private readonly retryBaseMs: number
  private readonly retryCapMs: number

  constructor(
    influx: InfluxSection,
    private readonly logger: Logger,
    options: ShapeKeeperOptions = {},
  ) {
    this.influx = influx
    this.client = adminClientFor(influx)
    this.retryBaseMs = options.retryBaseMs ?? 1000
    this.retryCapMs = options.retryCapMs ?? 300_000
    this.watcher = new SeriesWatcher(this.client, influx, logger, options.pollIntervalMs ?? 60_000)
  }

  /** Starts the first reconciliation and the series watch in the background; resolves at once. */
  start(): void {
    this.stopped = false
    if (this.influx.api === 'v2') {
      this.state = 'unmanaged'
      if (this.influx.retention || this.influx.downsample.length > 0 || this.influx.maxSeries)
        this.logger.warn(
          'influx: retention, downsample and maxSeries are not managed on api v2: set the bucket retention in InfluxDB (influx bucket update --retention) and downsample with tasks (docs/influx.md)',
        )
      return
    }
    void this.schedule(0)
    this.watcher.start()
  }

  /** Applies a changed config (SIGHUP). Only the shape keys are taken; connection keys need a restart. */
  reload(next: InfluxSection): Promise<void> {
    if (this.influx.api === 'v2' || this.stopped) return Promise.resolve()
    const { url, database, username, password, api } = this.influx
    if (
      next.url !== url ||
      next.database !== database ||
      next.username !== username ||
      next.password !== password ||
      next.api !== api
    )
      this.logger.warn(
        'influx: connection keys changed; they take effect after a restart (shape keys applied now)',
      )
    this.influx = {
      ...this.influx,
      retention: next.retention,
      downsample: next.downsample,
      maxSeries: next.maxSeries,
    }
    this.watcher.setMaxSeries(next.maxSeries)
    this.attempt = 0
    return this.schedule(0)
  }

  /** Stops retrying and polling. A request in flight is not waited for: a hung InfluxDB must not hold a stop. */
  stop(): void {
    this.stopped = true
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = null
    this.retryAt = null
    this.watcher.stop()
  }

  status(): ShapeStatus {
    return {
      state: this.state,
      database: this.influx.database,
      lastAppliedAt: this.lastAppliedAt,
      lastChanges: this.lastChanges,
      lastError: this.lastError,
      failures: this.failures,
      nextRetryInMs: this.retryAt === null ? null : Math.max(0, this.retryAt - Date.now()),
      series: this.watcher.current(),
    }
  }

  /** Runs a reconciliation after `delayMs`, after any running one; resolves when it has run. */
  private schedule(delayMs: number): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = null
    this.retryAt = null
    const run = () => {
      this.chain = this.chain.then(() => this.applyOnce())
      return this.chain
    }
    if (delayMs === 0) return run()
    this.retryAt = Date.now() + delayMs
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      this.retryAt = null
      void run()
    }, delayMs)
    return Promise.resolve()
  }

  private async applyOnce(): Promise<void> {
    if (this.stopped) return
    try {
      const changes = await reconcile(this.client, planFor(this.influx), {
        createDatabase: this.influx.createDatabase,
      })
      this.state = 'applied'
      this.lastAppliedAt = Date.now()
      this.lastChanges = changes
      if (this.lastError)
        this.logger.info('influx: retention and downsampling applied after earlier failures')
      this.lastError = null
      this.attempt = 0
      for (const change of changes) this.logger.info({ database: this.influx.database }, `influx: ${change}`)
    } catch (err) {
      this.state = 'retrying'
      this.failures += 1
      this.lastError = influxErrorText(err)
      const delay = backoffDelay(this.attempt++, this.retryBaseMs, this.retryCapMs)
      this.logger.warn(
        { database: this.influx.database, err: this.lastError, retryInMs: delay },
        'influx: could not apply retention/downsampling; ingest goes on, retrying',
      )
      if (!this.stopped) void this.schedule(delay)
    }
  }
}
