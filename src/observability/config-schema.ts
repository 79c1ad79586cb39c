import { Type } from '@sinclair/typebox'

/** The `metrics` config section: what GET /metrics exports. docs/operations.md describes it. */
export const MetricsSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'serve GET /metrics on the http listener' }),
    process: Type.Boolean({
      default: true,
      description: 'include process metrics (CPU, RSS, heap, GC, handles) from prom-client',
    }),
    eventLoopResolutionMs: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 20,
      description: 'sampling resolution of the event-loop delay histogram',
    }),
  },
  { additionalProperties: false, default: {} },
)
