import type { Redis } from 'ioredis'
import type { SavedKeyState } from '../rules/engine.js'
import { leaseKey } from './leases.js'
import { streamKey } from './streams.js'

export const windowSnapshotKey = (p: number) => `tidegate:cluster:windows:${p}`
/** The format of a key's value; a reader skips values of another version (that key starts fresh). */
const VERSION = 1
/** Fields that are not a key's state (those hold \u0000 between rule, operator and key). */
const POS = 'pos'
const AT = 'at'
/**
 * The largest state of one key that is saved (JSON characters): a `percentile`, `distinct` or item
 * window of a busy key keeps every value; beyond this the key is left out of the snapshot (counted,
 * its state restarts on the next owner) instead of making every round and the takeover slow.
 */
export const MAX_KEY_STATE = 1 << 20
/** `fingerprint \u0000 rule` → the rule's definition fingerprint, once per rule (not in every value). */
const FINGERPRINT = 'fingerprint'

/**
 * Writes the partition's snapshot only while this node holds its lease, replacing the previous one, and
 * trims the stream up to the snapshot's position in the same script: the snapshot, its position and the
 * trim are one atomic step, so the entries after the position (the ones a new owner replays) are kept.
 * KEYS: lease, snapshot hash, stream. ARGV: node id, position ('' = none yet), then field, value pairs.
 */
const WRITE = `
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('del', KEYS[2])
for i = 3, #ARGV, 2 do redis.call('hset', KEYS[2], ARGV[i], ARGV[i + 1]) end
if ARGV[2] ~= '' then redis.call('xtrim', KEYS[3], 'MINID', '~', ARGV[2]) end
return 1`

export interface WindowSnapshot {
  /** The last stream entry whose event the state includes (null: no snapshot yet, replay the stream). */
  pos: string | null
  /** The node's clock when it was taken. */
  at: number | null
  states: SavedKeyState[]
  /** Values skipped (another format version, or unreadable). */
  skipped: number
}

export interface WindowSnapshotStats {
  writes: number
  /** Writes that did not reach Redis (the next one covers them; the stream keeps the entries meanwhile). */
  failures: number
  /** Writes refused because the lease had moved (this node lost the partition). */
  refused: number
  /** Key states left out of snapshots because they were larger than MAX_KEY_STATE. */
  oversize: number
  /** Size of the last snapshot written (bytes of JSON, all partitions of one round). */
  lastBytes: number
  /** How long the last round took (ms), serialising and writing. */
  lastMs: number
}

/**
 * The open windows and deadman last-seen times of each partition in Redis, one hash per partition:
 * `rule \0 operator \0 key` → `{"v":1,"s":<state>}`, `fingerprint \0 rule` → the rule's definition
 * fingerprint (state of another version of a rule is not restored), plus `pos` (the last stream entry the
 * state includes) and `at` (docs/cluster.md).
 */
export class WindowSnapshots {
  readonly stats: WindowSnapshotStats = {
    writes: 0,
    failures: 0,
    refused: 0,
    oversize: 0,
    lastBytes: 0,
    lastMs: 0,
  }

  constructor(
    private readonly redis: Redis,
    private readonly nodeId: string,
  ) {}

  /**
   * Writes one partition's state as of stream entry `pos`; returns its size in bytes, or null when the
   * lease is not this node's (nothing written).
   */
  async write(
    p: number,
    pos: string | null,
    at: number,
    states: readonly SavedKeyState[],
  ): Promise<number | null> {
    const args: string[] = [this.nodeId, pos ?? '', AT, String(at)]
    if (pos !== null) args.push(POS, pos)
    const fingerprints = new Map<string, string>()
    for (const s of states) {
      const json = JSON.stringify({ v: VERSION, s: s.state })
      if (json.length > MAX_KEY_STATE) {
        this.stats.oversize++
        continue
      }
      fingerprints.set(s.rule, s.fingerprint)
      args.push(`${s.rule}\u0000${s.op}\u0000${s.key}`, json)
    }
    for (const [rule, fingerprint] of fingerprints) args.push(`${FINGERPRINT}\u0000${rule}`, fingerprint)
    let bytes = 0
    for (const a of args) bytes += a.length
    try {
      const ok = await this.redis.eval(WRITE, 3, leaseKey(p), windowSnapshotKey(p), streamKey(p), ...args)
      if (ok !== 1) {
        this.stats.refused++
        return null
      }
      this.stats.writes++
      return bytes
    } catch (err) {
      this.stats.failures++
      throw err
    }
  }

  async load(p: number): Promise<WindowSnapshot> {
    const all = await this.redis.hgetall(windowSnapshotKey(p))
    const out: WindowSnapshot = {
      pos: all[POS] ?? null,
      at: all[AT] ? Number(all[AT]) : null,
      states: [],
      skipped: 0,
    }
    for (const [field, json] of Object.entries(all)) {
      const a = field.indexOf('\u0000')
      const b = a < 0 ? -1 : field.indexOf('\u0000', a + 1)
      if (b < 0) continue
      const [rule, op, key] = [field.slice(0, a), field.slice(a + 1, b), field.slice(b + 1)]
      const fingerprint = all[`${FINGERPRINT}\u0000${rule}`]
      try {
        const v = JSON.parse(json) as { v: number; s: unknown }
        if (v.v !== VERSION || fingerprint === undefined) {
          out.skipped++
          continue
        }
        out.states.push({ rule, op, key, fingerprint, state: v.s })
      } catch {
        out.skipped++
      }
    }
    return out
  }
}
