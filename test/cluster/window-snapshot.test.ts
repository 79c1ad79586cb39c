import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { describe, expect, inject, it } from 'vitest'
import { leaseKey } from '../../src/cluster/leases.js'
import { partitionOf } from '../../src/cluster/partition.js'
import { streamKey } from '../../src/cluster/streams.js'
import { MAX_KEY_STATE, WindowSnapshots, windowSnapshotKey } from '../../src/cluster/window-snapshot.js'
import { useCleanup } from '../helpers/cleanup.js'
import { uniqueDatabase } from '../helpers/gateway.js'
import { connectWhenUp, kill9, spawnGatewayProcess } from '../helpers/gateway-process.js'
import { useRedis } from '../helpers/redis.js'
import { clusterNodeFiles, until } from './helpers.js'

const cleanup = useCleanup()
const redis = useRedis()
const PARTITIONS = 4
/** Processing-time tumbling window: long enough for a kill, a lease expiry and a takeover inside it. */
const WINDOW_MS = 8000
const SILENCE_MS = 5000

const RULES = {
  'counted.yaml': `version: 1
id: counted
from: { type: climate-sensor }
where: "device.startsWith('win-')"
window: { kind: tumbling, size: ${WINDOW_MS}ms }
aggregate:
  n: count()
  total: sum(data.temperature)
actions:
  - publish: { topic: "test/counted/{{key}}", payload: { n: "{{n}}", total: "{{total}}", start: "{{window.start}}" } }
`,
  'quiet.yaml': `version: 1
id: quiet
kind: deadman
from: { type: climate-sensor }
where: "device.startsWith('quiet-')"
silence: ${SILENCE_MS}ms
severity: info
actions:
  - alert: { message: "{{key}} silent" }
`,
}

describe('a cluster node killed (SIGKILL) in the middle of a window', () => {
  it('the new owner resumes the open window (its result counts every event) and the deadman’s deadline', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidegate-cluster-windows-'))
    for (const [file, text] of Object.entries(RULES)) writeFileSync(join(dir, file), text)
    const database = uniqueDatabase()
    const nodes = ['w-a', 'w-b']
    const { ports, files } = await clusterNodeFiles({
      dir,
      nodes,
      influxUrl: inject('influxUrl'),
      database,
      redisUrl: redis.url,
      partitions: PARTITIONS,
      cluster: 'snapshotInterval: 1s',
    })
    const admin = new Redis(redis.url)
    cleanup.push(() => admin.quit())
    const owners = () => admin.mget(...Array.from({ length: PARTITIONS }, (_, p) => leaseKey(p)))
    const a = spawnGatewayProcess(files.get('w-a') as string, cleanup)
    spawnGatewayProcess(files.get('w-b') as string, cleanup)
    // Everything is published through B, the node that stays: A only owns the partitions.
    const onB = await connectWhenUp(`mqtt://127.0.0.1:${ports.get('w-b')}`, 60_000)
    onB.on('error', () => undefined)
    cleanup.push(() => onB.endAsync(true))
    // Whichever started first, both end with half of the partitions.
    const half = (o: (string | null)[], id: string) => o.filter((x) => x === id).length === PARTITIONS / 2
    await until(async () => {
      const o = await owners()
      return half(o, 'w-a') && half(o, 'w-b')
    }, 30_000)
    const owned = await owners()
    const ofA = (prefix: string) =>
      Array.from({ length: 200 }, (_, i) => `${prefix}-${i}`).find(
        (d) => owned[partitionOf(d, PARTITIONS)] === 'w-a',
      ) as string
    const sensor = ofA('win')
    const quiet = ofA('quiet')
    const p = partitionOf(sensor, PARTITIONS)
    const results: { n: number; total: number; start: number }[] = []
    const alerts: { state: string; at: number; values: { lastSeen: number } }[] = []
    onB.on('message', (topic, payload) => {
      if (topic === `test/counted/${sensor}`) results.push(JSON.parse(payload.toString()))
      if (topic === `alerts/quiet/${quiet}`) alerts.push(JSON.parse(payload.toString()))
    })
    await onB.subscribeAsync([`test/counted/${sensor}`, `alerts/quiet/${quiet}`], { qos: 1 })
    const send = (device: string, temperature: number) =>
      onB.publishAsync(`devices/${device}/telemetry`, JSON.stringify({ temperature }), { qos: 1 })
    const settled = async (key: string) => {
      // Read and acknowledged by A: nothing pending, nothing unread.
      const pending = (await admin.xpending(key, 'rules')) as [number, ...unknown[]]
      const groups = (await admin.xinfo('GROUPS', key)) as unknown[][]
      const g = groups[0] ?? []
      return pending[0] === 0 && Number(g[g.indexOf('lag') + 1]) === 0
    }

    // Start right after a window boundary, so every event below falls into one window.
    await until(() => Date.now() % WINDOW_MS < 500, 2 * WINDOW_MS + 1000)
    const windowStart = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS
    for (const t of [1, 2, 3]) await send(sensor, t)
    await send(quiet, 20)
    const quietSentAt = Date.now()
    // A snapshots them (the window holds 3 so far)...
    await until(async () => {
      const fields = await admin.hgetall(windowSnapshotKey(p))
      const saved = Object.entries(fields).find(([f]) => f.startsWith('counted\u0000') && f.endsWith(sensor))
      return saved !== undefined && JSON.parse(saved[1]).s.state.slices[0]?.count === 3
    }, 5000)
    // ...then handles two more, acknowledged, most likely before its next snapshot, and dies.
    for (const t of [10, 20]) await send(sensor, t)
    await until(() => settled(streamKey(p)), 3000)
    await kill9(a.child)

    // B takes A's partitions over after the lease TTL; one more event reaches the window there.
    await until(async () => (await owners()).every((o) => o === 'w-b'), 10_000)
    expect(Date.now()).toBeLessThan(windowStart + WINDOW_MS - 500) // still inside the window
    await send(sensor, 100)

    await until(() => results.length > 0, WINDOW_MS + 5000)
    expect(results[0]).toEqual({ n: 6, total: 136, start: windowStart })
    // The silent device alerts on B at its original deadline, not a full silence after the takeover.
    await until(() => alerts.length > 0, SILENCE_MS + 5000)
    expect(alerts[0]?.state).toBe('firing')
    const lastSeen = alerts[0]?.values.lastSeen as number
    expect(lastSeen).toBeLessThanOrEqual(quietSentAt + 1000) // A heard it then, well before the takeover
    expect(alerts[0]?.at).toBe(lastSeen + SILENCE_MS)
    expect(results).toHaveLength(1)
  }, 90_000)
})

describe('window snapshots in Redis', () => {
  const connection = () => {
    const conn = new Redis(redis.url)
    cleanup.push(() => conn.quit())
    return conn
  }
  it('a snapshot is written only under the lease; it replaces the last one and trims the stream to its position', async () => {
    const admin = connection()
    const p = 50 // not one of the cluster test's partitions (same redis-server)
    const key = streamKey(p)
    const ids: string[] = []
    for (let n = 1; n <= 300; n++) ids.push((await admin.xadd(key, '*', 'e', String(n))) as string)
    const snapshots = new WindowSnapshots(connection(), 'a')
    const state = { rule: 'r', fingerprint: 'f1', op: 'window0', key: 'dev-1', state: { n: 1 } }
    expect(await snapshots.write(p, ids[250] as string, 1000, [state])).toBeNull() // no lease
    expect(await admin.exists(windowSnapshotKey(p))).toBe(0)
    await admin.set(leaseKey(p), 'a')
    expect(await snapshots.write(p, ids[250] as string, 1000, [state])).toBeGreaterThan(0)
    expect(await snapshots.load(p)).toEqual({ pos: ids[250], at: 1000, states: [state], skipped: 0 })
    // Entries after the position are all kept (MINID ~ may keep some before it, never fewer after).
    const left = (await admin.xrange(key, '-', '+')) as [string, string[]][]
    expect(left.length).toBeLessThan(300)
    expect(left.map(([id]) => id)).toEqual(expect.arrayContaining(ids.slice(250)))
    // Another node holds the lease now: it cannot be overwritten by the old owner.
    await admin.set(leaseKey(p), 'b')
    expect(await snapshots.write(p, ids[299] as string, 2000, [])).toBeNull()
    expect((await snapshots.load(p)).states).toEqual([state])
    expect(snapshots.stats).toMatchObject({ writes: 1, refused: 2 })
    // A key state over the bound is left out and counted; the others are written.
    await admin.set(leaseKey(p), 'a')
    const huge = {
      ...state,
      key: 'dev-huge',
      state: { values: Array.from({ length: MAX_KEY_STATE / 4 }, (_, i) => i) },
    }
    expect(await snapshots.write(p, ids[299] as string, 3000, [state, huge])).toBeGreaterThan(0)
    expect((await snapshots.load(p)).states).toEqual([state])
    expect(snapshots.stats.oversize).toBe(1)
    // A value of another format version is skipped, not misread.
    await admin.hset(windowSnapshotKey(p), 'r\u0000window0\u0000dev-2', '{"v":99}')
    expect((await snapshots.load(p)).skipped).toBe(1)
  })
})
