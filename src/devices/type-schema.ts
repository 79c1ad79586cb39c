import { type Static, Type } from '@sinclair/typebox'
import { CommandsSchema } from '../commands/command-schema.js'
import { Duration } from '../core/duration.js'
import { SerialTypeSchema } from '../ingest/serial/type-schema.js'

/** A device type file (`devices/*.yaml`): the single source of its shape, defaults and validation. */
export const DeviceTypeFileSchema = Type.Object(
  {
    version: Type.Literal(1, { default: 1 }),
    type: Type.String({
      pattern: '^[a-z0-9][a-z0-9_-]*$',
      description: 'type name used by rules and the registry',
    }),
    description: Type.Optional(Type.String()),
    topics: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      default: ['devices/{device}/telemetry'],
      description: 'topic patterns; {device} captures the device id',
    }),
    measurement: Type.String({ minLength: 1, description: 'InfluxDB measurement for this type' }),
    time: Type.Object(
      {
        field: Type.String({ default: 'ts' }),
        unit: Type.Union([Type.Literal('ms'), Type.Literal('s')], { default: 'ms' }),
      },
      {
        additionalProperties: false,
        default: {},
        description: 'payload field with the event time; else arrival time',
      },
    ),
    seq: Type.Object(
      { field: Type.String({ default: 'seq' }) },
      { additionalProperties: false, default: {} },
    ),
    tags: Type.Array(Type.String(), { default: [], description: 'payload fields written as InfluxDB tags' }),
    fields: Type.Optional(
      Type.Array(Type.String(), {
        description: 'payload fields written as InfluxDB fields; default: every other scalar',
      }),
    ),
    schema: Type.Record(Type.String(), Type.Unknown(), { description: 'JSON Schema of the payload' }),
    serial: Type.Optional(SerialTypeSchema),
    offlineAfter: Type.Optional(Duration({ description: 'silence after which a device is offline' })),
    commands: CommandsSchema,
  },
  { additionalProperties: false },
)

export type DeviceTypeFile = Static<typeof DeviceTypeFileSchema>
