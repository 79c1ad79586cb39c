import { type Static, Type } from '@sinclair/typebox'
import { HINT_MARK } from '../core/schema-check.js'
import { EVERY_HINT, EVERY_PATTERN, KEEP_HINT, KEEP_PATTERN } from './durations.js'

/**
 * The `influx` keys of the database-shape feature (docs/influx.md "Retention, downsampling and series"):
 * `retention`, `downsample`, `maxSeries`. They join the `influx` section of the gateway config.
 */

/** InfluxQL aggregates that take one field and give one value per interval. */
export const AGGREGATES = [
  'mean',
  'median',
  'mode',
  'sum',
  'count',
  'min',
  'max',
  'first',
  'last',
  'spread',
  'stddev',
] as const

const Keep = (description: string) =>
  Type.String({ pattern: KEEP_PATTERN, [HINT_MARK]: KEEP_HINT, description })

export const DownsampleSchema = Type.Object(
  {
    measurement: Type.String({ minLength: 1, description: 'measurement to downsample (as written)' }),
    every: Type.String({
      pattern: EVERY_PATTERN,
      [HINT_MARK]: EVERY_HINT,
      description: 'interval of the downsampled points (GROUP BY time)',
    }),
    keep: Keep('how long the downsampled points are kept; names their retention policy tidegate_<keep>'),
    fields: Type.Record(
      Type.String({ minLength: 1 }),
      Type.Union(
        AGGREGATES.map((a) => Type.Literal(a)),
        { description: 'InfluxQL aggregate' },
      ),
      { minProperties: 1, description: 'field name → aggregate (mean, max, last, ...)' },
    ),
  },
  { additionalProperties: false },
)

export type DownsampleEntry = Static<typeof DownsampleSchema>

/** Spread into the `influx` section's properties (src/config/schema.ts). */
export const influxAdminKeys = {
  retention: Type.Optional(
    Keep(
      'how long raw points are kept: the default retention policy tidegate_raw (created or altered at start)',
    ),
  ),
  downsample: Type.Array(DownsampleSchema, {
    default: [],
    description:
      'continuous queries into long-lived retention policies, queryable as tidegate_<keep>.<measurement>',
  }),
  maxSeries: Type.Optional(
    Type.Integer({
      minimum: 1,
      description: 'warn (log, metric, /readyz) when the database has more series',
    }),
  ),
}
