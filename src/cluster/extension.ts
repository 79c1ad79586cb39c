import { Redis } from 'ioredis'
import type { Subscription } from 'rxjs'
import { toMs } from '../core/duration.js'
import type { Event } from '../core/event.js'
import type { Extension, GatewayContext } from '../extension.js'
import type { AlertSeed } from '../rules/alert-machine.js'
import { RULES } from '../rules/extension.js'
import { clusterConfigChecker } from './config-check.js'
import { Leases } from './leases.js'
import { clusterSamples } from './metrics.js'
import { clusterNodeId } from './node-id.js'
import { followRemoteDevices } from './remote-devices.js'
import { compilePartitioner } from './partition.js'
import { AlertSnapshots } from './snapshot.js'
import { type Delivery, PartitionStreams } from './streams.js'
import { WindowSnapshots } from './window-snapshot.js'

/**
 * The cluster feature (docs/cluster.md): every ingested event goes to its partition's stream in Redis;
 * this node leases its share of the partitions and feeds their events to its rule engine, with the
 * alert state of a partition kept in Redis for the next owner. The shared broker itself is wired by the
 * composition root (src/broker/redis-bus.ts). Without `cluster.redis` this feature is off.
 */
export function clusterExtension(ctx: GatewayContext): Extension | null {
  const c = ctx.config.cluster
  if (!c.redis) return null
  const url = c.redis
  const nodeId = clusterNodeId(c)
  const state = { redisUp: false, transitionsDropped: 0, partitionErrors: 0, rounds: 0 }
  const partition = compilePartitioner(c.partitionBy, c.partitions, () => state.partitionErrors++)
  if (typeof partition !== 'function')
    throw new Error(`cluster.partitionBy: CEL at offset ${partition.offset}: ${partition.message}`)
  const ttlMs = toMs(c.leaseTtl)
  // Commands fail at once while Redis is away (the callers buffer or retry); no unbounded offline queue.
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
  const reader = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
  for (const conn of [redis, reader]) conn.on('error', () => undefined)
  const snapshots = new AlertSnapshots(redis)
  const windowSnapshots = new WindowSnapshots(redis, nodeId)
  const snapshotMs = toMs(c.snapshotInterval)
  /** Alert states of the partitions taken over, read when a rule first sees a key. */
  const seeds = new Map<number, Map<string, AlertSeed>>()
  /** The partition of each alert key seen, for transitions that time alone makes (for, clearFor, repeat). */
  const keyPartition = new Map<string, number>()
  let current: number | null = null
  let currentEntry: string | null = null

  const streams = new PartitionStreams(
    redis,
    reader,
    nodeId,
    c.maxBuffered,
    (p, event, entryId, how: Delivery) => {
      current = p
      currentEntry = entryId
      const rules = ctx.services.get(RULES)
      try {
        if (how.at === undefined) rules?.push(event)
        else if (rules) {
          rules.engine.muted = how.muted === true
          rules.engine.pushAt(event, how.at)
        }
      } finally {
        if (rules) rules.engine.muted = false
        current = null
        currentEntry = null
      }
    },
    (event) =>
      ctx.deadLetters.record({
        reason: 'cluster_buffer_full',
        topic: event.topic,
        payload: JSON.stringify(event.data),
        encoding: 'utf8',
        errors: [`cluster.maxBuffered (${c.maxBuffered}) events wait for Redis already`],
        device: event.device,
        type: event.type,
        at: Date.now(),
      }),
    (p, marginMs) => leases.holds(p, marginMs),
  )
  const forget = (p: number) => {
    streams.reading.delete(p)
    streams.lastDelivered.delete(p)
    seeds.delete(p)
    // This node's alert machines of the partition are stale from now on: the next owner speaks for them.
    const engine = ctx.services.get(RULES)?.engine
    engine?.forgetKeyedState(p)
    for (const [field, owner] of keyPartition) {
      if (owner !== p) continue
      keyPartition.delete(field)
      const [rule, key] = field.split('\u0000') as [string, string]
      engine?.forgetAlert(rule, key)
    }
  }
  const leases = new Leases(redis, nodeId, c.partitions, ttlMs, {
    acquired: async (p) => {
      seeds.set(p, await snapshots.load(p))
      const saved = await windowSnapshots.load(p)
      // Windows and deadman times continue from the snapshot, then the stream after it is replayed.
      // (Should Redis fail midway, the lease is given back and `lost` drops what was restored.)
      let restored = 0
      await streams.takeover(p, saved, () => {
        restored = ctx.services.get(RULES)?.engine.restoreKeyedState(p, saved.states) ?? 0
      })
      ctx.logger.info(
        { partition: p, nodeId, restoredKeys: restored, skipped: saved.skipped },
        'cluster: partition taken',
      )
    },
    releasing: async (p) => {
      // A clean handover: the last state goes to Redis before the lease does (the next owner replays less).
      await streams.release(p)
      await snapshotPartition(p).catch(() => undefined)
      forget(p)
    },
    lost: (p) => {
      forget(p)
      ctx.logger.warn({ partition: p, nodeId }, 'cluster: partition lease lost (missed renewals)')
    },
  })

  /** One partition's window and deadman state as of the last entry handed to the rules; its bytes. */
  const snapshotPartition = async (p: number): Promise<number> => {
    const engine = ctx.services.get(RULES)?.engine
    const states = engine?.saveKeyedState(p) ?? []
    return (await windowSnapshots.write(p, streams.lastDelivered.get(p) ?? null, Date.now(), states)) ?? 0
  }
  let snapshotting: Promise<void> = Promise.resolve()
  const snapshotRound = () => {
    snapshotting = snapshotting.then(async () => {
      const started = performance.now()
      let bytes = 0
      // One partition at a time: the event loop runs between them. A partition given back meanwhile is
      // skipped: its final snapshot is written by `releasing`, and its state here is already dropped.
      for (const p of [...streams.reading])
        if (streams.reading.has(p)) bytes += await snapshotPartition(p).catch(() => 0)
      windowSnapshots.stats.lastBytes = bytes
      windowSnapshots.stats.lastMs = performance.now() - started
    })
  }
  let snapshotTimer: NodeJS.Timeout | null = null
  let timer: NodeJS.Timeout | null = null
  let round: Promise<void> = Promise.resolve()
  const runRound = () => {
    round = round
      .then(() => leases.round())
      .then(() => streams.refreshLag())
      .then(() => {
        state.redisUp = true
        state.rounds++
      })
      .catch((err: unknown) => {
        if (state.redisUp) ctx.logger.warn({ err: (err as Error).message }, 'cluster: redis unreachable')
        state.redisUp = false
      })
  }
  let events: Subscription | null = null
  let unfollow: (() => Promise<void>)[] = []

  return {
    name: 'cluster',
    readiness: () => ({
      // Without Redis new sessions cannot be set up here: a balancer should send devices elsewhere.
      ready: state.redisUp,
      detail: {
        nodeId,
        redis: state.redisUp,
        partitionsOwned: leases.owned.size,
        liveNodes: leases.liveNodes,
        streamLag: streams.stats.lag,
        buffered: streams.buffered,
      },
    }),
    metricSamples: () =>
      clusterSamples({
        redisUp: state.redisUp,
        owned: leases.owned.size,
        liveNodes: leases.liveNodes,
        buffered: streams.buffered,
        streams: streams.stats,
        transitionsDropped: state.transitionsDropped,
        partitionErrors: state.partitionErrors,
        snapshotFailures: snapshots.failed,
        windowSnapshots: windowSnapshots.stats,
        bus: ctx.broker.redisBus?.stats ?? null,
      }),
    async start() {
      const rules = ctx.services.get(RULES)
      if (rules) {
        rules.engine.stateTag = () => current ?? undefined
        rules.engine.alertSeeds = (rule, key) => {
          const f = AlertSnapshots.field(rule, key)
          for (const m of seeds.values()) {
            const seed = m.get(f)
            if (seed) return seed
          }
          return undefined
        }
        // A timer's transition (deadman, for, clearFor, repeat): the partition its key last had an event in.
        const partitionOfAlert = (rule: string, key: string) =>
          current ?? keyPartition.get(AlertSnapshots.field(rule, key)) ?? rules.engine.keyTag(rule, key)
        // A partition given away: its old machines may still tick here; the new owner speaks for them.
        rules.gateAlertTransitions((t) => {
          // The same cause gives the same id on whichever node evaluates it (rule and key are tags already).
          t.id = `${currentEntry ?? `timer@${t.at}`}:${t.state}:${t.repeat}`
          const p = partitionOfAlert(t.rule, t.key)
          if (p === undefined || leases.owned.has(p)) return true
          state.transitionsDropped++
          return false
        })
        rules.onAlertTransition((t) => {
          const p = partitionOfAlert(t.rule, t.key)
          if (p === undefined) return
          keyPartition.set(AlertSnapshots.field(t.rule, t.key), p)
          snapshots.record(p, t)
        })
      }
      unfollow = await followRemoteDevices(ctx.broker, ctx.devices)
      events = ctx.events.subscribe((event: Event) => streams.append(partition(event), event))
      streams.start()
      runRound()
      await round
      timer = setInterval(runRound, Math.max(50, Math.floor(ttlMs / 3)))
      snapshotTimer = setInterval(snapshotRound, Math.max(50, snapshotMs))
      ctx.logger.info({ nodeId, owned: leases.owned.size, redis: state.redisUp }, 'cluster: joined')
    },
    async stop() {
      if (timer) clearInterval(timer)
      if (snapshotTimer) clearInterval(snapshotTimer)
      events?.unsubscribe()
      for (const off of unfollow.splice(0)) await off()
      await round
      await snapshotting
      const left = await streams.stop()
      if (left > 0)
        ctx.logger.warn(
          { events: left },
          'cluster: stopped while Redis was unreachable; events not handed to the rules',
        )
      // A clean stop hands the partitions over at once instead of after the lease TTL.
      if (state.redisUp) await leases.releaseAll().catch(() => undefined)
      for (const conn of [redis, reader]) conn.disconnect()
    },
  }
}

/** `tidegate check`: `cluster.partitionBy` is CEL over the event. */
clusterExtension.check = clusterConfigChecker
