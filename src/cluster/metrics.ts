import type { RedisBusStats } from '../broker/redis-bus.js'
import type { Sample } from '../observability/metrics-source.js'
import type { StreamStats } from './streams.js'
import type { WindowSnapshotStats } from './window-snapshot.js'

export interface ClusterFigures {
  redisUp: boolean
  owned: number
  liveNodes: number
  buffered: number
  streams: StreamStats
  transitionsDropped: number
  /** Events whose partitionBy failed to evaluate (they went to the partition of the empty value). */
  partitionErrors: number
  snapshotFailures: number
  windowSnapshots: WindowSnapshotStats
  bus: RedisBusStats | null
}

/** The node's role in the cluster for GET /metrics (docs/cluster.md lists them). */
export function clusterSamples(f: ClusterFigures): Sample[] {
  const gauge = (name: string, help: string, value: number): Sample => ({ name, help, type: 'gauge', value })
  const counter = (name: string, help: string, value: number): Sample => ({
    name,
    help,
    type: 'counter',
    value,
  })
  const out = [
    gauge('tidegate_cluster_redis_up', '1 while the last lease round reached Redis', f.redisUp ? 1 : 0),
    gauge('tidegate_cluster_partitions_owned', 'Rule partitions this node holds the lease of', f.owned),
    gauge('tidegate_cluster_live_nodes', 'Nodes with a fresh heartbeat', f.liveNodes),
    gauge('tidegate_cluster_stream_lag', 'Entries of owned partition streams not read yet', f.streams.lag),
    gauge('tidegate_cluster_buffered_events', 'Events waiting for Redis to be appended', f.buffered),
    counter(
      'tidegate_cluster_events_appended_total',
      'Events appended to partition streams',
      f.streams.appended,
    ),
    counter(
      'tidegate_cluster_events_dropped_total',
      'Events not handed to the partition streams (buffer full while Redis was unreachable), dead-lettered',
      f.streams.dropped,
    ),
    counter(
      'tidegate_cluster_events_delivered_total',
      'Stream events fed to this node’s rules',
      f.streams.delivered,
    ),
    counter(
      'tidegate_cluster_events_claimed_total',
      'Unacknowledged entries taken over from a previous owner',
      f.streams.claimed,
    ),
    counter(
      'tidegate_cluster_alert_transitions_dropped_total',
      'Alert transitions of partitions given away, left to the new owner',
      f.transitionsDropped,
    ),
    counter(
      'tidegate_cluster_partition_errors_total',
      'Events whose partitionBy failed to evaluate, sent to the partition of the empty value',
      f.partitionErrors,
    ),
    counter(
      'tidegate_cluster_snapshot_failures_total',
      'Alert state writes that did not reach Redis',
      f.snapshotFailures,
    ),
    counter(
      'tidegate_cluster_events_replayed_total',
      'Entries a previous owner had acknowledged, replayed on takeover to rebuild window state (no effects)',
      f.streams.replayed,
    ),
    counter(
      'tidegate_cluster_window_snapshots_total',
      'Window/deadman snapshots of owned partitions written to Redis',
      f.windowSnapshots.writes,
    ),
    counter(
      'tidegate_cluster_window_snapshot_failures_total',
      'Window/deadman snapshot writes that did not reach Redis (the stream keeps the entries for the next)',
      f.windowSnapshots.failures,
    ),
    counter(
      'tidegate_cluster_window_snapshot_oversize_total',
      'Key states left out of window snapshots, larger than 1 MiB of JSON (the next owner starts them fresh)',
      f.windowSnapshots.oversize,
    ),
    gauge(
      'tidegate_cluster_window_snapshot_bytes',
      'Size of the last snapshot round, all owned partitions (bytes of JSON)',
      f.windowSnapshots.lastBytes,
    ),
    gauge(
      'tidegate_cluster_window_snapshot_seconds',
      'Duration of the last snapshot round (serialising and writing)',
      f.windowSnapshots.lastMs / 1000,
    ),
  ]
  if (f.bus)
    out.push(
      counter(
        'tidegate_cluster_bus_remote_dropped_total',
        'Messages local subscribers got but other nodes did not (Redis unreachable)',
        f.bus.remoteDropped,
      ),
      counter(
        'tidegate_cluster_bus_received_total',
        'Messages received from other nodes',
        f.bus.fromOtherNodes,
      ),
    )
  return out
}
