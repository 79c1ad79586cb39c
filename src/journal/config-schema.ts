import { Type } from '@sinclair/typebox'
import { Duration } from '../core/duration.js'

/** `journal:` — the local append-only record of events, alert transitions and commands (docs/replay.md). */
export const JournalConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    dir: Type.Optional(Type.String({ description: 'default: <dataDir>/journal' })),
    maxBytes: Type.Integer({
      minimum: 1_048_576,
      default: 268_435_456,
      description: 'closed segments kept, in bytes',
    }),
    maxAge: Duration({ default: '7d', description: 'closed segments older than this are deleted' }),
    segmentBytes: Type.Integer({ minimum: 65_536, default: 16_777_216 }),
    segmentAge: Duration({ default: '1h' }),
    flushInterval: Duration({ default: '200ms' }),
    fsync: Type.Boolean({ default: false, description: 'fdatasync each flush (power-loss safe, slower)' }),
  },
  { additionalProperties: false, default: {} },
)
