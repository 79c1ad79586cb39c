import { join } from 'node:path'
import type { DeadLetter } from '../../core/dead-letter.js'
import type { Logger } from '../../observability/logger.js'
import { LmdbChunkStore } from '../../store/lmdb-chunk-store.js'
import { MemoryChunkStore } from '../../store/memory-chunk-store.js'
import { Outbox, type OutboxOptions } from './outbox.js'
import type { OutputPlugin } from './output.js'

/**
 * An outbox host for one output plugin: the LMDB store under `<dataDir>/<folder>` when durable, else the
 * same delivery over an in-memory buffer. Each output keeps its own folder (its own seq order and bound).
 */
export function createOutbox(o: {
  plugin: OutputPlugin
  durable: boolean
  dataDir: string
  folder: string
  options: OutboxOptions
  logger: Logger
  deadLetter: (d: DeadLetter) => void
}): Outbox {
  const store = o.durable ? new LmdbChunkStore(join(o.dataDir, o.folder)) : new MemoryChunkStore()
  return new Outbox(store, o.plugin, o.options, o.logger, o.deadLetter)
}
