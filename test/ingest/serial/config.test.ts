import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { configFromObject, loadConfig } from '../../../src/config/load.js'
import { checkSerialPorts } from '../../../src/ingest/serial/check.js'
import { serialConfigChecker } from '../../../src/ingest/serial/config-checker.js'
import type { SerialPortConfig } from '../../../src/ingest/serial/config-schema.js'
import { locatePort, type PortInfo } from '../../../src/ingest/serial/port-locator.js'

let dirs: string[] = []
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
  dirs = []
})

function ports(serial: unknown[]): SerialPortConfig[] {
  return configFromObject({ serial }).serial as SerialPortConfig[]
}

describe('serial config', () => {
  it('fills defaults: 9600 8N1, line framing with a bounded buffer, json codec', () => {
    const [p] = ports([{ port: '/dev/ttyUSB0', device: { id: 'a' }, type: 'climate-sensor' }])
    expect(p).toMatchObject({
      baudRate: 9600,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
      framing: { kind: 'line', delimiter: '\n', maxLength: 1024 },
      codec: { kind: 'json' },
      reconnect: { initial: '500ms', max: '30s' },
    })
  })

  it('reports what the schema cannot: port xor match, id xor field, unknown type, kind-specific keys, bad regex, duplicates', () => {
    const problems = checkSerialPorts(
      ports([
        { device: { id: 'a', field: 'id' }, type: 'nope' },
        {
          port: '/dev/x',
          framing: { kind: 'fixed' },
          codec: { kind: 'json', columns: ['a'] },
          device: { id: 'b' },
          type: 'climate-sensor',
        },
        {
          port: '/dev/y',
          codec: { kind: 'regex', pattern: '(unclosed' },
          device: { id: 'c' },
          type: 'climate-sensor',
        },
        {
          port: '/dev/y',
          codec: { kind: 'regex', pattern: 'T=(\\d+)' },
          device: { id: 'd' },
          type: 'climate-sensor',
        },
        { port: '/dev/z', codec: { kind: 'csv' }, device: { id: 'e' }, type: 'climate-sensor' },
      ]),
      new Set(['climate-sensor']),
    )
    const lines = problems.map((p) => `serial[${p.index}]${p.path}: ${p.message}`)
    expect(lines).toEqual([
      'serial[0]: give exactly one of "port" (a path) or "match" (USB identity)',
      'serial[0]/device: give exactly one of "id" (fixed) or "field" (from the frame)',
      'serial[0]/type: unknown device type "nope" (known: climate-sensor)',
      'serial[1]/framing: framing fixed needs "length"',
      'serial[1]/codec/columns: only used by codec csv',
      expect.stringMatching(/^serial\[2\]\/codec\/pattern: Invalid regular expression/),
      'serial[3]/codec/pattern: the pattern has no named groups (?<field>...), so no field would be set',
      'serial[4]/codec: codec csv needs "columns"',
      'serial[3]: same port as serial[2] (/dev/y)',
    ])
    expect(problems.map((p) => p.code)).toEqual([
      'TG_CONFIG_CONFLICT',
      'TG_CONFIG_CONFLICT',
      'TG_CONFIG_UNKNOWN_NAME',
      'TG_CONFIG_CONFLICT',
      'TG_CONFIG_CONFLICT',
      'TG_CONFIG_INVALID',
      'TG_CONFIG_INVALID',
      'TG_CONFIG_CONFLICT',
      'TG_CONFIG_DUPLICATE',
    ])
  })

  it('a bad enum in the config file is one located message', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidegate-serial-config-'))
    dirs.push(dir)
    const file = join(dir, 'gateway.yaml')
    writeFileSync(
      file,
      'serial:\n  - port: /dev/ttyUSB0\n    codec: { kind: xml }\n    device: { id: a }\n    type: t\n',
    )
    expect(() => loadConfig(file, {})).toThrow(
      /gateway\.yaml:3:\d+ TG_CONFIG_INVALID \/serial\/0\/codec\/kind: .*"json", "csv", "kv", "regex", "nmea"/,
    )
  })

  it('tidegate check lists serial problems located in the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidegate-serial-config-'))
    dirs.push(dir)
    const file = join(dir, 'gateway.yaml')
    writeFileSync(
      file,
      `catalog: ${process.cwd()}/devices\nserial:\n  - port: /dev/ttyUSB0\n    device: { id: a }\n    type: no-such-type\n`,
    )
    const { config } = loadConfig(file, {})
    const errors = serialConfigChecker(config, dir, file)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ file, line: 5, path: '/serial/0/type' })
    expect(errors[0]?.message).toContain('unknown device type "no-such-type"')
  })
})

describe('finding a port by USB identity (a fake port list: no USB adapter exists on a test machine)', () => {
  const list: PortInfo[] = [
    {
      path: '/dev/ttyS0',
      manufacturer: undefined,
      serialNumber: undefined,
      pnpId: undefined,
      locationId: undefined,
      productId: undefined,
      vendorId: undefined,
    },
    {
      path: '/dev/ttyUSB1',
      manufacturer: 'FTDI',
      serialNumber: 'A6008isP',
      pnpId: undefined,
      locationId: undefined,
      productId: '6001',
      vendorId: '0403',
    },
    {
      path: '/dev/ttyUSB2',
      manufacturer: 'FTDI',
      serialNumber: 'B7',
      pnpId: undefined,
      locationId: undefined,
      productId: '6001',
      vendorId: '0403',
    },
  ]
  const match = (m: Record<string, string>) => ports([{ match: m, device: { id: 'a' }, type: 't' }])[0]!

  it('matches vendor, product (hex, any case, leading zeros) and serial number', async () => {
    await expect(
      locatePort(match({ vendorId: '403', productId: '6001', serialNumber: 'B7' }), async () => list),
    ).resolves.toBe('/dev/ttyUSB2')
    await expect(
      locatePort(match({ vendorId: '0x0403', serialNumber: 'A6008isP' }), async () => list),
    ).resolves.toBe('/dev/ttyUSB1')
  })

  it('no match, several matches and a failing list() are errors the caller retries, not crashes', async () => {
    await expect(locatePort(match({ vendorId: '1a86' }), async () => list)).rejects.toThrow(
      /no serial port matches/,
    )
    await expect(locatePort(match({ vendorId: '0403' }), async () => list)).rejects.toThrow(
      /2 serial ports match .*add serialNumber/,
    )
    await expect(
      locatePort(match({ vendorId: '0403' }), async () => {
        throw new Error('udevadm: not found')
      }),
    ).rejects.toThrow(/cannot list serial ports: udevadm: not found/)
  })
})
