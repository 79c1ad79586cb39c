import { Type } from '@sinclair/typebox'
import { Duration } from '../core/duration.js'
import { Bytes } from '../core/size.js'

/** `journal:` — the local append-only record of events, alert transitions and commands (docs/replay.md). */
export const JournalConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    dir: Type.Optional(Type.String({ description: 'default: <dataDir>/journal' })),
    maxBytes: Bytes({
      minimum: 1_048_576,
      default: '256MiB',
      description: 'closed segments kept (512MiB, 1GB, or bytes)',
    }),
    maxAge: Duration({ default: '7d', description: 'closed segments older than this are deleted' }),
    segmentBytes: Bytes({
      minimum: 65_536,
      default: '16MiB',
      description: 'a segment is closed at this size',
    }),
    segmentAge: Duration({ default: '1h' }),
    flushInterval: Duration({ default: '200ms' }),
    fsync: Type.Boolean({ default: false, description: 'fdatasync each flush (power-loss safe, slower)' }),
  },
  { additionalProperties: false, default: {} },
)
