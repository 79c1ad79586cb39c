import type { Redis } from 'ioredis'
import type { AlertSeed } from '../rules/alert-machine.js'
import type { AlertTransition } from '../rules/effects.js'

const snapshotKey = (p: number) => `tidegate:cluster:alerts:${p}`
const field = (rule: string, key: string) => `${rule}\u0000${key}`

/**
 * Alert state per partition in Redis (a hash of rule + key → the pending or firing alert), written after
 * each published transition, read by the next owner on takeover so a firing alert stays firing there and
 * is not announced again. Open windows and deadman times are kept by window-snapshot.ts.
 */
export class AlertSnapshots {
  /** Writes that failed (Redis unreachable): the next owner may announce those alerts once more. */
  failed = 0

  constructor(private readonly redis: Redis) {}

  record(p: number, t: AlertTransition): void {
    const key = snapshotKey(p)
    const write =
      t.state === 'firing' || t.state === 'pending'
        ? this.redis.hset(
            key,
            field(t.rule, t.key),
            JSON.stringify({ state: t.state, since: t.since, at: t.at }),
          )
        : this.redis.hdel(key, field(t.rule, t.key))
    write.catch(() => {
      this.failed++
    })
  }

  async load(p: number): Promise<Map<string, AlertSeed>> {
    const all = await this.redis.hgetall(snapshotKey(p))
    const seeds = new Map<string, AlertSeed>()
    for (const [f, json] of Object.entries(all)) seeds.set(f, JSON.parse(json) as AlertSeed)
    return seeds
  }

  static field = field
}
