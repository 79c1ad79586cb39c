import { type Static, Type } from '@sinclair/typebox'
import { Duration } from '../core/duration.js'

/** Command names are one MQTT topic level: `devices/<id>/commands/<name>`. */
export const COMMAND_NAME_PATTERN = '^[a-zA-Z0-9][a-zA-Z0-9_-]*$'

/**
 * One command a device type accepts (`commands:` in `devices/*.yaml`). Timeout and retries fall back
 * to `devices.commands` in the gateway config, so a type only states what differs.
 */
export const CommandDefinitionSchema = Type.Object(
  {
    description: Type.Optional(Type.String()),
    params: Type.Record(Type.String(), Type.Unknown(), {
      default: { type: 'object' },
      description: 'JSON Schema of the params object',
    }),
    timeout: Type.Optional(Duration({ description: 'how long to wait for the ack of one attempt' })),
    retries: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 10, description: 'attempts after the first on timeout' }),
    ),
  },
  { additionalProperties: false },
)

export type CommandDefinition = Static<typeof CommandDefinitionSchema>

/** `commands:` map of a device type: name → definition. */
export const CommandsSchema = Type.Record(
  Type.String({ pattern: COMMAND_NAME_PATTERN }),
  CommandDefinitionSchema,
  {
    default: {},
    description: 'commands this type accepts on devices/<id>/commands/<name>',
  },
)
