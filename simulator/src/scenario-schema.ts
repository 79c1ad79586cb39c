import { type Static, type TSchema, type TUnion, Type } from '@sinclair/typebox'
import { Duration } from '../../src/core/duration.js'

/**
 * The scenario file (`simulator/scenarios/*.yaml`): one schema gives its type, defaults and
 * validation. docs/simulator.md describes every key.
 */

const Num = (description: string, def?: number) =>
  def === undefined ? Type.Number({ description }) : Type.Number({ description, default: def })

/** Which zone quantity a field follows (and which one an actuator pushes). */
export const ZoneQuantity = Type.Union([Type.Literal('temperature'), Type.Literal('humidity')])

export const DailyModel = Type.Object(
  {
    kind: Type.Literal('daily'),
    base: Num('mean value'),
    amplitude: Num('half the day–night swing', 0),
    peakHour: Num('hour of day of the maximum', 15),
    noise: Num('standard deviation of white noise', 0),
    driftPerHour: Num('slow random-walk step per simulated hour', 0),
    zone: Type.Optional(ZoneQuantity),
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
)

export const StepsModel = Type.Object(
  {
    kind: Type.Literal('steps'),
    levels: Type.Array(Type.Number(), { minItems: 1 }),
    every: Duration({ default: '60s', description: 'simulated time between level changes' }),
    noise: Num('standard deviation of white noise', 0),
  },
  { additionalProperties: false },
)

export const SpikesModel = Type.Object(
  {
    kind: Type.Literal('spikes'),
    base: Num('value between spikes'),
    noise: Num('standard deviation of white noise', 0),
    probability: Num('chance of a spike per sample', 0.01),
    size: Num('spike height', 10),
  },
  { additionalProperties: false },
)

export const LoadModel = Type.Object(
  {
    kind: Type.Literal('load'),
    base: Num('standing load in W'),
    peaks: Type.Array(
      Type.Object(
        { hour: Type.Number(), width: Type.Number({ default: 2 }), power: Type.Number() },
        { additionalProperties: false },
      ),
      { default: [] },
    ),
    noise: Num('relative noise (0.05 = 5 %)', 0.05),
    actuator: Type.Optional(Num('extra W while this device (an actuator) is on')),
  },
  { additionalProperties: false },
)

export const EnergyModel = Type.Object(
  {
    kind: Type.Literal('energy'),
    of: Type.String({ description: 'power field (W) to integrate into kWh' }),
    start: Num('initial kWh', 0),
  },
  { additionalProperties: false },
)

export const CurrentModel = Type.Object(
  {
    kind: Type.Literal('current'),
    power: Type.String({ description: 'power field (W)' }),
    voltage: Type.String({ description: 'voltage field (V)' }),
  },
  { additionalProperties: false },
)

export const EventsModel = Type.Object(
  {
    kind: Type.Literal('events'),
    perHour: Num('mean events per simulated hour (Poisson)', 6),
    hold: Duration({ default: '30s', description: 'how long an event stays true (door open, motion)' }),
  },
  { additionalProperties: false },
)

export const BatteryModel = Type.Object(
  {
    kind: Type.Literal('battery'),
    start: Num('initial %', 100),
    drainPerHour: Num('% lost per simulated hour', 0.5),
    min: Num('floor', 0),
  },
  { additionalProperties: false },
)

export const ConstantModel = Type.Object(
  { kind: Type.Literal('constant'), value: Type.Union([Type.Number(), Type.String(), Type.Boolean()]) },
  { additionalProperties: false },
)

export const RelayModel = Type.Object(
  { kind: Type.Literal('relay'), description: Type.Optional(Type.String()) },
  { additionalProperties: false, description: 'true while this actuator is on' },
)

/**
 * A `oneOf` with a discriminator (not TypeBox's anyOf), so a mistake in one field reports that model's
 * errors only, instead of one complaint per model kind.
 */
function discriminated<T extends TSchema[]>(branches: [...T]) {
  return Type.Unsafe<Static<TUnion<T>>>({ oneOf: branches, discriminator: { propertyName: 'kind' } })
}

export const FIELD_MODELS = [
  DailyModel,
  StepsModel,
  SpikesModel,
  LoadModel,
  EnergyModel,
  CurrentModel,
  EventsModel,
  BatteryModel,
  ConstantModel,
  RelayModel,
] as const
export const FieldModel = discriminated([...FIELD_MODELS])

export const ActuatorSchema = Type.Object(
  {
    affects: ZoneQuantity,
    effect: Type.Number({ description: 'how far the zone quantity moves while on (°C or %RH, signed)' }),
    commands: Type.Array(Type.String(), { default: ['set'], description: 'command names it obeys' }),
    ack: Type.Union([Type.Literal('ok'), Type.Literal('error'), Type.Literal('none')], {
      default: 'ok',
      description: 'how it answers commands (none: never acks, to exercise timeouts)',
    }),
  },
  { additionalProperties: false },
)

export const DeviceGroupSchema = Type.Object(
  {
    id: Type.String({ description: 'id template: {zone}, {n} (1-based), {i} (0-based overall)' }),
    type: Type.String({ description: 'device type in devices/*.yaml the payload matches' }),
    topic: Type.String({ default: 'devices/{id}/telemetry', description: 'publish topic template' }),
    count: Type.Integer({
      minimum: 0,
      default: 1,
      description: 'devices in the group (per zone with perZone)',
    }),
    perZone: Type.Boolean({ default: false }),
    zone: Type.Optional(
      Type.String({ description: 'zone of a device outside perZone (without a zone tag in its payload)' }),
    ),
    interval: Duration({ default: '5s', description: 'time between messages of one device' }),
    tags: Type.Record(Type.String(), Type.String(), {
      default: {},
      description: 'string fields added to every payload (templates)',
    }),
    fields: Type.Record(Type.String(), FieldModel, { default: {} }),
    actuator: Type.Optional(ActuatorSchema),
    ts: Type.Boolean({ default: true, description: 'include the event time `ts` (epoch ms)' }),
    seq: Type.Boolean({ default: true, description: 'include a per-device `seq` counter' }),
    qos: Type.Union([Type.Literal(0), Type.Literal(1)], { default: 0 }),
    will: Type.Boolean({
      default: true,
      description: 'register an offline will on devices/<id>/availability',
    }),
  },
  { additionalProperties: false },
)

const FAULT_NAMES = [
  'malformed_json',
  'schema_violation',
  'duplicate',
  'out_of_order',
  'late',
  'clock_skew',
  'disconnect',
  'reconnect_storm',
  'burst',
  'oversize',
] as const
type FaultName = (typeof FAULT_NAMES)[number]
export const FAULT_KINDS: readonly FaultName[] = FAULT_NAMES

export const FaultKind = Type.Union(FAULT_NAMES.map((k) => Type.Literal(k)))

export const HeatEventSchema = Type.Object(
  {
    at: Duration({ description: 'real time after start' }),
    kind: Type.Literal('heat'),
    zone: Type.String(),
    quantity: Type.Optional(ZoneQuantity),
    delta: Type.Number({ description: 'load added to the zone (°C or %RH); 0 removes it' }),
  },
  { additionalProperties: false },
)

export const FaultEventSchema = Type.Object(
  {
    at: Duration({ description: 'real time after start' }),
    kind: Type.Literal('fault'),
    fault: FaultKind,
    devices: Type.String({ default: '*', description: 'device id, or a prefix ending in *' }),
    count: Type.Integer({
      minimum: 1,
      default: 1,
      description: 'messages (burst, duplicate) or cycles (storm)',
    }),
    offset: Duration({ default: '10m', description: 'clock_skew / late: how far ts is moved' }),
    size: Type.Integer({ minimum: 1, default: 300_000, description: 'oversize: payload bytes' }),
    downFor: Duration({ default: '1s', description: 'disconnect / storm: time offline' }),
  },
  { additionalProperties: false },
)

export const EVENT_SCHEMAS = [HeatEventSchema, FaultEventSchema] as const
export const ScenarioEventSchema = discriminated([...EVENT_SCHEMAS])

export const ZoneSchema = Type.Object(
  {
    id: Type.String(),
    timeConstant: Duration({ default: '20s', description: 'how fast the zone follows loads and actuators' }),
  },
  { additionalProperties: false },
)

export const ScenarioSchema = Type.Object(
  {
    version: Type.Literal(1),
    name: Type.String(),
    description: Type.Optional(Type.String()),
    seed: Type.Integer({ default: 1 }),
    timeScale: Type.Number({
      exclusiveMinimum: 0,
      default: 1,
      description: 'simulated seconds per real second',
    }),
    startHour: Type.Number({
      minimum: 0,
      maximum: 24,
      default: 12,
      description: 'simulated time of day at start',
    }),
    zones: Type.Array(ZoneSchema, { default: [] }),
    devices: Type.Array(DeviceGroupSchema, { minItems: 1 }),
    events: Type.Array(ScenarioEventSchema, { default: [] }),
  },
  { additionalProperties: false },
)

export type Scenario = Static<typeof ScenarioSchema>
export type DeviceGroup = Static<typeof DeviceGroupSchema>
export type FieldModelSpec = Static<typeof FieldModel>
export type ScenarioEvent = Static<typeof ScenarioEventSchema>
export type FaultEvent = Static<typeof FaultEventSchema>
export type FaultKindName = Static<typeof FaultKind>
export type ActuatorSpec = Static<typeof ActuatorSchema>
export type ZoneQuantityName = Static<typeof ZoneQuantity>
