import type { ChunkMeta } from '../../store/chunk-store.js'
import type { PointClass } from '../sink.js'

/** What goes first when the outbox is full: plain telemetry, then derived points, alerts last. */
const DROP_ORDER: readonly PointClass[] = ['telemetry', 'derived', 'alert']

/**
 * Picks the chunks to drop to free `excessBytes`: oldest first within each class, classes in DROP_ORDER.
 * `locked` chunks (on the wire, being removed) are never picked. `metas` is walked once per class
 * and only as far as needed.
 */
export function chooseVictims(
  metas: () => Iterable<ChunkMeta>,
  excessBytes: number,
  locked: (seq: number) => boolean,
): ChunkMeta[] {
  const victims: ChunkMeta[] = []
  let freed = 0
  for (const klass of DROP_ORDER) {
    if (freed >= excessBytes) break
    for (const meta of metas()) {
      if (meta.klass !== klass || locked(meta.seq)) continue
      victims.push(meta)
      freed += meta.bytes
      if (freed >= excessBytes) break
    }
  }
  return victims
}
