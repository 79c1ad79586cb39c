import type { ChunkMeta } from '../../store/chunk-store.js'
import type { PointClass } from '../sink.js'

/** What goes first when the outbox is full: plain telemetry, then derived points, alerts last. */
const DROP_ORDER: readonly PointClass[] = ['telemetry', 'derived', 'alert']

/** How the drop policy may treat a chunk: take it, step over it, or stop and take nothing newer. */
export type DropAccess = 'take' | 'skip' | 'wait'

/**
 * Picks the chunks to drop to free `excessBytes`: strictly oldest first within each class, classes in
 * DROP_ORDER. A chunk that says 'skip' (already leaving) is stepped over; one that says 'wait' (its request
 * is on the wire and may land) ends the choice, so nothing newer is dropped in its place: the caller
 * asks again when that request is answered. `metas` is walked once per class, only as far as needed.
 */
export function chooseVictims(
  metas: () => Iterable<ChunkMeta>,
  excessBytes: number,
  access: (seq: number) => DropAccess,
): ChunkMeta[] {
  const victims: ChunkMeta[] = []
  let freed = 0
  for (const klass of DROP_ORDER) {
    if (freed >= excessBytes) break
    for (const meta of metas()) {
      if (meta.klass !== klass) continue
      const a = access(meta.seq)
      if (a === 'wait') return victims
      if (a === 'skip') continue
      victims.push(meta)
      freed += meta.bytes
      if (freed >= excessBytes) break
    }
  }
  return victims
}
