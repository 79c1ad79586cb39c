import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Clock } from '../../../../src/core/clock.js'
import type { DeadLetter } from '../../../../src/core/dead-letter.js'
import { createLogger } from '../../../../src/observability/logger.js'
import { InfluxHttpClient, type InfluxTarget } from '../../../../src/sinks/influx/http-client.js'
import { InfluxOutput, type InfluxOutputOptions } from '../../../../src/sinks/influx/output.js'
import { Outbox, type OutboxOptions } from '../../../../src/sinks/outbox/outbox.js'
import type { ChunkStore } from '../../../../src/store/chunk-store.js'
import { LmdbChunkStore } from '../../../../src/store/lmdb-chunk-store.js'
import { MemoryChunkStore } from '../../../../src/store/memory-chunk-store.js'

export const defaultOutboxOptions: OutboxOptions & InfluxOutputOptions = {
  batchSize: 5000,
  flushIntervalMs: 100,
  concurrency: 1,
  maxBytes: 64 * 1024 * 1024,
  commitIntervalMs: 5,
  createDatabase: true,
  retryBaseMs: 50,
  retryCapMs: 500,
  authRetryMs: 60_000,
}

const created: string[] = []

/** A fresh temp folder; removeTempDirs() (in each file's afterAll) deletes them all. */
export function tempDir(prefix = 'tidegate-outbox-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  created.push(dir)
  return dir
}

export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true })
}

/** An outbox with the InfluxDB plugin, wired as the gateway wires it, dead letters collected in an array. */
export function makeOutbox(o: {
  target: Partial<InfluxTarget> & { url: string }
  options?: Partial<OutboxOptions & InfluxOutputOptions>
  /** A folder for the LMDB store, or 'memory'. */
  store: string | 'memory'
  clock?: Clock
}) {
  const deadLetters: DeadLetter[] = []
  const client = new InfluxHttpClient({ database: 'tidegate', timeoutMs: 5000, ...o.target })
  const store: ChunkStore = o.store === 'memory' ? new MemoryChunkStore() : new LmdbChunkStore(o.store)
  const options = { ...defaultOutboxOptions, ...o.options }
  const logger = createLogger('silent', false)
  const sink = new Outbox(
    store,
    new InfluxOutput(client, options, logger),
    options,
    logger,
    (d) => deadLetters.push(d),
    o.clock,
  )
  return { sink, client, deadLetters }
}

export async function waitFor(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
