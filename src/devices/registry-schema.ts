import { type Static, Type } from '@sinclair/typebox'

/** Device ids are one MQTT topic level: no `/`, `+`, `#`. */
export const DEVICE_ID_PATTERN = '^[^/+#\\s]+$'

/**
 * One device instance in `devices/registry.yaml`. Its MQTT credentials are a `mqtt.auth.users` entry
 * with the device id as username (docs/security.md); a serial binding is a `serial:` port entry that
 * names the device (docs/serial.md). Neither is repeated here, so each has one place.
 */
export const RegistryEntrySchema = Type.Object(
  {
    id: Type.String({
      pattern: DEVICE_ID_PATTERN,
      maxLength: 128,
      description: 'device id, as in its topics',
    }),
    type: Type.String({ minLength: 1, description: 'device type name from the catalog' }),
    tags: Type.Record(
      Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_.-]*$' }),
      Type.String({ maxLength: 256 }),
      {
        default: {},
        description: 'metadata added to every event and InfluxDB point of this device',
      },
    ),
    description: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
)

export type RegistryEntry = Static<typeof RegistryEntrySchema>

/** The registry file as a whole; entries are checked one by one so one bad entry does not hide the rest. */
export const RegistryFileSchema = Type.Object(
  {
    version: Type.Literal(1, { default: 1 }),
    devices: Type.Array(Type.Unknown(), { default: [] }),
  },
  { additionalProperties: false },
)
