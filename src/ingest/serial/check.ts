import type { ErrorCode } from '../../core/error-codes.js'
import type { SerialPortConfig } from './config-schema.js'

/** A problem in one `serial[i]` entry the schema alone cannot see; `path` is relative to the entry. */
export interface SerialConfigProblem {
  index: number
  code: ErrorCode
  path: string
  message: string
}

const CODEC_KEYS: Record<string, readonly string[]> = {
  columns: ['csv'],
  separator: ['csv', 'kv'],
  pairSeparator: ['kv'],
  pattern: ['regex'],
  flags: ['regex'],
  sentences: ['nmea'],
  only: ['nmea'],
}

/** The label a port has in logs, stats and dead letters. */
export function portLabel(port: SerialPortConfig): string {
  if (port.name) return port.name
  if (port.port) return port.port
  const m = port.match ?? {}
  return `usb:${[m.vendorId, m.productId, m.serialNumber].filter(Boolean).join(':')}`
}

/** Checks one entry; `knownTypes` (when given) are the catalog's type names. */
export function checkSerialPort(
  port: SerialPortConfig,
  index: number,
  knownTypes?: ReadonlySet<string>,
): SerialConfigProblem[] {
  const out: SerialConfigProblem[] = []
  const problem = (path: string, message: string, code: ErrorCode = 'TG_CONFIG_CONFLICT') =>
    out.push({ index, code, path, message })
  if ((port.port === undefined) === (port.match === undefined))
    problem('', 'give exactly one of "port" (a path) or "match" (USB identity)')
  if ((port.device.id === undefined) === (port.device.field === undefined))
    problem('/device', 'give exactly one of "id" (fixed) or "field" (from the frame)')
  if (knownTypes && !knownTypes.has(port.type))
    problem(
      '/type',
      `unknown device type "${port.type}" (known: ${[...knownTypes].join(', ') || 'none'})`,
      'TG_CONFIG_UNKNOWN_NAME',
    )
  if (port.framing.kind === 'fixed' && port.framing.length === undefined)
    problem('/framing', 'framing fixed needs "length"')
  if (port.framing.kind !== 'fixed' && port.framing.length !== undefined)
    problem('/framing/length', 'only used by framing fixed')
  const codec = port.codec
  for (const [key, kinds] of Object.entries(CODEC_KEYS)) {
    if (codec[key as keyof typeof codec] !== undefined && !kinds.includes(codec.kind))
      problem(`/codec/${key}`, `only used by codec ${kinds.join(' or ')}`)
  }
  if (codec.kind === 'csv' && !codec.columns) problem('/codec', 'codec csv needs "columns"')
  if (codec.kind === 'regex') {
    if (!codec.pattern) problem('/codec', 'codec regex needs "pattern"')
    else {
      try {
        const re = new RegExp(codec.pattern, codec.flags ?? '')
        if (!/\(\?<[A-Za-z_$][\w$]*>/.test(re.source))
          problem(
            '/codec/pattern',
            'the pattern has no named groups (?<field>...), so no field would be set',
            'TG_CONFIG_INVALID',
          )
      } catch (err) {
        problem('/codec/pattern', (err as Error).message, 'TG_CONFIG_INVALID')
      }
    }
  }
  return out
}

/** Checks every entry, and that no two entries read the same port. */
export function checkSerialPorts(
  ports: readonly SerialPortConfig[],
  knownTypes?: ReadonlySet<string>,
): SerialConfigProblem[] {
  const out = ports.flatMap((p, i) => checkSerialPort(p, i, knownTypes))
  const seen = new Map<string, number>()
  ports.forEach((p, i) => {
    const label = portLabel(p)
    const first = seen.get(label)
    if (first !== undefined)
      out.push({
        index: i,
        code: 'TG_CONFIG_DUPLICATE',
        path: '',
        message: `same port as serial[${first}] (${label})`,
      })
    else seen.set(label, i)
  })
  return out
}
