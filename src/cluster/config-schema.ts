import { type Static, Type } from '@sinclair/typebox'
import { Duration } from '../core/duration.js'

/**
 * `cluster:` — several gateway processes on one Redis act as one broker and one rule engine
 * (docs/cluster.md). Without `redis` nothing of it runs and the gateway is a single node.
 */
export const ClusterSchema = Type.Object(
  {
    redis: Type.Optional(
      Type.String({
        pattern: '^rediss?://',
        description: 'redis:// or rediss:// URL; with this key the process joins the cluster',
      }),
    ),
    nodeId: Type.Optional(
      Type.String({
        minLength: 1,
        pattern: '^[A-Za-z0-9_.-]+$',
        description: 'this node in the cluster (default: host name + pid)',
      }),
    ),
    partitionBy: Type.String({
      minLength: 1,
      default: 'device',
      description: 'CEL over the event (device, deviceType, stream, tags, data) choosing its rule partition',
    }),
    partitions: Type.Integer({
      minimum: 1,
      maximum: 4096,
      default: 64,
      description: 'rule partitions, each leased by one live node; the same on every node',
    }),
    leaseTtl: Duration({
      default: '10s',
      description: 'a dead node loses its partitions after this; renewed every third of it',
    }),
    snapshotInterval: Duration({
      default: '2s',
      description:
        'how often the open windows and deadman times of owned partitions are saved to Redis for a takeover',
    }),
    maxBuffered: Type.Integer({
      minimum: 0,
      default: 100_000,
      description:
        'events kept in memory for the partition streams while Redis is unreachable; more are counted and dropped',
    }),
  },
  { additionalProperties: false, default: {} },
)

export type ClusterConfig = Static<typeof ClusterSchema>
