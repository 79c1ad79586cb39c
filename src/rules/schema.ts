import { type Static, type TLiteral, type TSchema, Type } from '@sinclair/typebox'
import { Duration } from '../core/duration.js'

/**
 * The rule file (`rules/*.yaml`): this schema is the single source of its type, defaults and shape
 * validation. What a schema cannot say (which fields a window kind needs, CEL expressions, templates)
 * is checked in `check.ts`. docs/rules.md documents every field.
 */

const literals = <const T extends readonly string[]>(
  values: T,
  options: { default?: T[number]; description?: string } = {},
) => Type.Union(values.map((v) => Type.Literal(v)) as TLiteral<T[number]>[], options)

export const WINDOW_KINDS = ['tumbling', 'hopping', 'sliding', 'session', 'count'] as const
export type WindowKind = (typeof WINDOW_KINDS)[number]

/** When an action runs: on every evaluated result, or on alert transitions. */
export const TRIGGERS = ['result', 'pending', 'firing', 'repeat', 'resolved'] as const
export type Trigger = (typeof TRIGGERS)[number]

const Triggers = (description: string) =>
  Type.Optional(Type.Array(literals(TRIGGERS), { minItems: 1, uniqueItems: true, description }))

export const FromSchema = Type.Object(
  {
    type: Type.Optional(Type.String({ minLength: 1, description: 'device type name from devices/*.yaml' })),
    device: Type.Optional(
      Type.Union(
        [Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })],
        {
          description: 'one device id or a list',
        },
      ),
    ),
    topic: Type.Optional(
      Type.String({ minLength: 1, description: 'MQTT filter on the source topic (+, #)' }),
    ),
    stream: Type.String({
      default: 'telemetry',
      description: 'event stream: telemetry, availability, ... or *',
    }),
  },
  { additionalProperties: false, default: {} },
)

export const WindowSchema = Type.Object(
  {
    kind: literals(WINDOW_KINDS),
    size: Type.Optional(Duration({ description: 'window length; for count windows a number of events' })),
    every: Type.Optional(Duration({ description: 'hopping: how often a window starts' })),
    gap: Type.Optional(Duration({ description: 'session: silence that ends a session' })),
    time: literals(['processing', 'event'], {
      default: 'processing',
      description: 'processing: arrival at the gateway; event: the device timestamp',
    }),
    lateness: Duration({
      default: 0,
      description: 'event time: how far behind the newest event a late one may be',
    }),
    timeout: Type.Optional(
      Duration({ description: 'count: close a partial window after this much silence' }),
    ),
  },
  { additionalProperties: false },
)

const Template = Type.String({ description: 'text with {{path}} substitutions' })

export const AlertActionSchema = Type.Object(
  { message: Type.Optional(Template) },
  { additionalProperties: false },
)

export const CommandActionSchema = Type.Object(
  {
    device: Template,
    name: Type.String({ minLength: 1, pattern: '^[^/+#]+$' }),
    params: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
    on: Triggers('default [firing] for alert rules, [result] otherwise'),
    onClear: Type.Optional(
      Type.Object(
        {
          name: Type.Optional(Type.String({ minLength: 1, pattern: '^[^/+#]+$' })),
          params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
        },
        { additionalProperties: false, description: 'command sent when the alert resolves' },
      ),
    ),
    minInterval: Duration({ default: '10s', description: 'least time between two commands to one target' }),
  },
  { additionalProperties: false },
)

export const WriteActionSchema = Type.Object(
  {
    measurement: Type.String({ minLength: 1 }),
    fields: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, uniqueItems: true }),
    tags: Type.Record(Type.String(), Template, { default: {} }),
    on: Triggers('default [result]'),
  },
  { additionalProperties: false },
)

export const PublishActionSchema = Type.Object(
  {
    topic: Template,
    payload: Type.Unknown({ description: 'a template string, or a mapping whose strings are templates' }),
    qos: Type.Union([Type.Literal(0), Type.Literal(1)], { default: 1 }),
    retain: Type.Boolean({ default: false }),
    on: Triggers('default [firing, resolved] for alert rules, [result] otherwise'),
  },
  { additionalProperties: false },
)

export const ActionSchema = Type.Object(
  {
    alert: Type.Optional(AlertActionSchema),
    command: Type.Optional(CommandActionSchema),
    write: Type.Optional(WriteActionSchema),
    publish: Type.Optional(PublishActionSchema),
  },
  { additionalProperties: false, minProperties: 1, maxProperties: 1 },
)

const Expression = (description: string) => Type.Optional(Type.String({ minLength: 1, description }))

export const RuleFileSchema = Type.Object(
  {
    version: Type.Literal(1),
    id: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
      maxLength: 128,
      description: 'unique; used in topics and tags',
    }),
    description: Type.Optional(Type.String()),
    enabled: Type.Boolean({ default: true }),
    kind: literals(['standard', 'deadman'], { default: 'standard' }),
    mode: literals(['live', 'shadow'], {
      default: 'live',
      description: 'shadow: alerts go to tidegate/shadow/..., commands are never sent',
    }),
    from: FromSchema,
    where: Expression('CEL filter on each event'),
    key: Type.String({ default: 'device', minLength: 1, description: 'CEL expression naming the state key' }),
    window: Type.Optional(WindowSchema),
    aggregate: Type.Optional(
      Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.String({ minLength: 1 })),
    ),
    when: Expression('CEL condition that raises the alert'),
    clear: Expression('CEL condition that clears it (default: not when)'),
    for: Duration({ default: 0, description: 'when must hold this long before firing' }),
    clearFor: Duration({ default: 0, description: 'clear must hold this long before resolving' }),
    severity: literals(['info', 'warning', 'critical'], { default: 'warning' }),
    repeat: Type.Optional(Duration({ description: 're-notify while firing' })),
    silence: Type.Optional(Duration({ description: 'deadman: silence that fires the alert' })),
    expect: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { description: 'deadman: keys watched from start' }),
    ),
    actions: Type.Array(ActionSchema, { default: [] }),
  },
  { additionalProperties: false },
)

export type RuleFile = Static<typeof RuleFileSchema>
export type WindowSpec = Static<typeof WindowSchema>
export type ActionSpec = Static<typeof ActionSchema>
export type CommandActionSpec = Static<typeof CommandActionSchema>
export type WriteActionSpec = Static<typeof WriteActionSchema>
export type PublishActionSpec = Static<typeof PublishActionSchema>
export type { TSchema }
