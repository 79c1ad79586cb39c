import { type Static, Type } from '@sinclair/typebox'
import { Duration } from '../../core/duration.js'

/**
 * The `serial: [...]` config section: one entry per port. Framing and codec are flat objects keyed by
 * `kind` rather than unions, so a mistake reads as one located message ("unknown key", "must be one of")
 * instead of every branch's errors; which keys each kind needs is checked by `checkSerialPorts`.
 */

/** A string enum: ajv reports `must be one of "line", "fixed", ...` instead of one error per literal. */
function oneOf<const T extends readonly string[]>(
  values: T,
  options: { default: T[number]; description?: string },
) {
  return Type.Unsafe<T[number]>(Type.String({ enum: [...values], ...options }))
}

export const UsbMatchSchema = Type.Object(
  {
    vendorId: Type.Optional(Type.String({ minLength: 1, description: 'USB vendor id, hex, e.g. 0403' })),
    productId: Type.Optional(Type.String({ minLength: 1, description: 'USB product id, hex, e.g. 6001' })),
    serialNumber: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false, minProperties: 1, description: 'find the port by USB identity' },
)

export const SerialFramingSchema = Type.Object(
  {
    kind: oneOf(['line', 'fixed', 'length', 'slip', 'timeout'] as const, {
      default: 'line',
      description: 'how bytes are cut into frames',
    }),
    delimiter: Type.String({ minLength: 1, default: '\n', description: 'line: the terminator' }),
    maxLength: Type.Integer({
      minimum: 1,
      maximum: 1_048_576,
      default: 1024,
      description: 'longest frame in bytes; longer input is discarded and counted (line, slip, timeout)',
    }),
    length: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 65_536, description: 'fixed: bytes per frame' }),
    ),
    start: Type.Integer({ minimum: 0, maximum: 255, default: 0xaa, description: 'length: start byte' }),
    lengthBytes: Type.Integer({
      minimum: 1,
      maximum: 4,
      default: 1,
      description: 'length: size of the length field',
    }),
    lengthOffset: Type.Integer({ minimum: 1, default: 1, description: 'length: offset of the length field' }),
    overhead: Type.Integer({
      minimum: 0,
      default: 2,
      description: 'length: bytes around the payload (start, length field, trailer)',
    }),
    interval: Duration({ default: '50ms', description: 'timeout: silence that ends a frame' }),
  },
  { additionalProperties: false, default: {} },
)

export const SerialCodecSchema = Type.Object(
  {
    kind: oneOf(['json', 'csv', 'kv', 'regex', 'nmea'] as const, {
      default: 'json',
      description: 'how a frame becomes a payload object',
    }),
    columns: Type.Optional(
      Type.Array(Type.String(), { minItems: 1, description: 'csv: field name per column; "" or "-" skips' }),
    ),
    separator: Type.Optional(Type.String({ minLength: 1, description: 'csv: "," · kv: "="' })),
    pairSeparator: Type.Optional(
      Type.String({ minLength: 1, description: 'kv: between pairs; default whitespace, "," or ";"' }),
    ),
    pattern: Type.Optional(Type.String({ minLength: 1, description: 'regex: named groups become fields' })),
    flags: Type.Optional(Type.String({ pattern: '^[imsu]*$', description: 'regex: flags' })),
    sentences: Type.Optional(
      Type.Record(Type.String({ pattern: '^[A-Z0-9]{3,5}$' }), Type.Array(Type.String()), {
        description: 'nmea: field names per sentence type, for sentences without a built-in decoder',
      }),
    ),
    only: Type.Optional(
      Type.Array(Type.String({ pattern: '^[A-Z0-9]{3,5}$' }), {
        description: 'nmea: sentence types to take; others are counted as ignored',
      }),
    ),
  },
  { additionalProperties: false, default: {} },
)

export const SerialDeviceSchema = Type.Object(
  {
    id: Type.Optional(
      Type.String({ pattern: '^[^/+#\\s]+$', description: 'every frame is from this device' }),
    ),
    field: Type.Optional(Type.String({ minLength: 1, description: 'the frame field that names the device' })),
  },
  { additionalProperties: false },
)

export const SerialPortConfigSchema = Type.Object(
  {
    name: Type.Optional(
      Type.String({ minLength: 1, description: 'label in logs and stats; default: the path' }),
    ),
    port: Type.Optional(Type.String({ minLength: 1, description: 'device path, e.g. /dev/ttyUSB0' })),
    match: Type.Optional(UsbMatchSchema),
    baudRate: Type.Integer({ minimum: 50, maximum: 4_000_000, default: 9600 }),
    dataBits: Type.Union([Type.Literal(5), Type.Literal(6), Type.Literal(7), Type.Literal(8)], {
      default: 8,
    }),
    parity: oneOf(['none', 'even', 'odd', 'mark', 'space'] as const, { default: 'none' }),
    stopBits: Type.Union([Type.Literal(1), Type.Literal(1.5), Type.Literal(2)], { default: 1 }),
    rtscts: Type.Boolean({ default: false, description: 'hardware flow control' }),
    framing: SerialFramingSchema,
    codec: SerialCodecSchema,
    device: SerialDeviceSchema,
    type: Type.String({ minLength: 1, description: 'device type (devices/*.yaml) of every frame' }),
    reconnect: Type.Object(
      {
        initial: Duration({ default: '500ms', description: 'first retry after a failed open or an unplug' }),
        max: Duration({ default: '30s', description: 'retries back off up to this' }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
)

export const SerialSectionSchema = Type.Array(SerialPortConfigSchema, {
  default: [],
  description: 'serial ports with wired sensors; one entry per port (docs/serial.md)',
})

export type SerialPortConfig = Static<typeof SerialPortConfigSchema>
export type SerialFraming = Static<typeof SerialFramingSchema>
export type SerialCodecConfig = Static<typeof SerialCodecSchema>
