import { type Static, Type } from '@sinclair/typebox'
import { Duration } from '../core/duration.js'

/**
 * `devices:` — the device registry, availability, event hygiene and command delivery
 * (docs/device-protocol.md). Every key has a default, so the section may be left out.
 */
export const DevicesConfigSchema = Type.Object(
  {
    registry: Type.Optional(
      Type.String({
        description: 'registry file; default <catalog>/registry.yaml (absent = empty registry)',
      }),
    ),
    allowUnknown: Type.Boolean({
      default: true,
      description: 'accept telemetry from devices not in the registry (false: dead letter unknown_device)',
    }),
    unregisteredListSize: Type.Integer({
      minimum: 0,
      default: 1000,
      description: 'how many seen-but-unregistered devices are remembered (oldest forgotten first)',
    }),
    maxTracked: Type.Integer({
      minimum: 1,
      default: 10_000,
      description:
        'devices whose duplicate window, order and availability are kept; beyond it the least recently heard is forgotten',
    }),
    offlineAfter: Type.Optional(
      Duration({ description: 'silence timeout for types that declare no offlineAfter; default: none' }),
    ),
    dedupe: Type.Object(
      {
        window: Type.Integer({
          minimum: 0,
          maximum: 65_536,
          default: 64,
          description:
            'recent seq numbers remembered per device (16 bytes each); 0 turns duplicate suppression off',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    clockSkew: Type.Object(
      {
        max: Duration({ default: '5m', description: 'event time further than this from arrival is skewed' }),
        policy: Type.Union([Type.Literal('keep'), Type.Literal('clamp'), Type.Literal('reject')], {
          default: 'keep',
          description: 'keep: count only; clamp: event time := arrival; reject: dead letter clock_skew',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    commands: Type.Object(
      {
        timeout: Duration({ default: '5s', description: 'ack wait per attempt, unless the type sets one' }),
        retries: Type.Integer({
          minimum: 0,
          maximum: 10,
          default: 2,
          description: 'attempts after the first',
        }),
        minInterval: Duration({
          default: '1s',
          description: 'least time between two commands to one device',
        }),
        maxPending: Type.Integer({
          minimum: 1,
          default: 1000,
          description: 'commands awaiting an ack, in all',
        }),
        maxPendingPerDevice: Type.Integer({ minimum: 1, default: 10 }),
        offline: Type.Union([Type.Literal('refuse'), Type.Literal('queue')], {
          default: 'refuse',
          description: 'a command to an offline device: refuse it, or hold it until the device is online',
        }),
        queueFor: Duration({ default: '5m', description: 'longest a queued command waits for its device' }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
)

export type DevicesConfig = Static<typeof DevicesConfigSchema>
