import type { SerialPort } from 'serialport'
import type { SerialPortConfig } from './config-schema.js'

/** What `SerialPort.list()` reports for one port (path, vendorId, productId, serialNumber, ...). */
export type PortInfo = Awaited<ReturnType<typeof SerialPort.list>>[number]

export type ListPorts = () => Promise<PortInfo[]>

/** USB ids are hex; `0403`, `403` and `0x0403` name the same vendor. */
function sameHex(a: string, b: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/^0x/, '').replace(/^0+/, '')
  return norm(a) === norm(b)
}

export function matchesUsb(info: PortInfo, match: NonNullable<SerialPortConfig['match']>): boolean {
  if (match.vendorId && !(info.vendorId && sameHex(info.vendorId, match.vendorId))) return false
  if (match.productId && !(info.productId && sameHex(info.productId, match.productId))) return false
  if (match.serialNumber && info.serialNumber !== match.serialNumber) return false
  return true
}

/**
 * The device path to open now. A USB identity is looked up on every attempt, so an adapter that
 * re-enumerates as /dev/ttyUSB1 after a replug is still found. Throws when nothing matches or the
 * port list cannot be read (udevadm missing); the caller retries with backoff.
 */
export async function locatePort(config: SerialPortConfig, listPorts: ListPorts): Promise<string> {
  if (config.port) return config.port
  const match = config.match
  if (!match) throw new Error('neither port nor match is set')
  let ports: PortInfo[]
  try {
    ports = await listPorts()
  } catch (err) {
    throw new Error(`cannot list serial ports: ${(err as Error).message}`)
  }
  const found = ports.filter((p) => matchesUsb(p, match))
  if (found.length === 0) throw new Error(`no serial port matches ${JSON.stringify(match)}`)
  if (found.length > 1) {
    throw new Error(
      `${found.length} serial ports match ${JSON.stringify(match)}: ${found.map((p) => p.path).join(', ')}; add serialNumber`,
    )
  }
  return (found[0] as PortInfo).path
}
