import { type Static, Type } from '@sinclair/typebox'

/**
 * The `serial:` key of a device type file: how commands for devices of this type are written to the
 * serial port the device is bound to (the port whose config names it, or where its frames arrive).
 */
export const SerialCommandEncodingSchema = Type.Object(
  {
    encoding: Type.Union([Type.Literal('json'), Type.Literal('template')], {
      default: 'json',
      description: 'json: {"id","name","params"} on one line · template: a line built from `templates`',
    }),
    templates: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), Type.String(), {
        description:
          'template: per command name, e.g. set: "SET {setpoint}"; placeholders {id} {device} {name} {params.x} or {x}',
      }),
    ),
    terminator: Type.String({ default: '\n', description: 'appended to every command line' }),
  },
  { additionalProperties: false, default: {} },
)

export const SerialTypeSchema = Type.Object(
  { commands: SerialCommandEncodingSchema },
  {
    additionalProperties: false,
    description: 'commands to devices of this type go out on their serial port',
  },
)

export type SerialCommandEncoding = Static<typeof SerialCommandEncodingSchema>
