#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { toMs } from '../../src/core/duration.js'
import type { Reading, WireCodec, WireFraming } from './frames.js'
import { playSerialDevice } from './serial-device.js'

const HELP = `tidegate serial device simulator: plays a wired climate sensor on a pty (needs socat)

Usage: tsx simulator/serial/cli.ts --link PATH [options]
  --link PATH        where the gateway's end appears; put it in the gateway config as serial[].port
  --device ID        device id sent in each frame as field "id" (default bench-1)
  --codec C          json | csv | kv | nmea (default json)
  --framing F        line | slip | length (default line)
  --interval D       time between readings, e.g. 2s (default 2s)
Commands written by the gateway are printed; "SET fan=on" style lines cool the simulated air.
`

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      link: { type: 'string' },
      device: { type: 'string', default: 'bench-1' },
      codec: { type: 'string', default: 'json' },
      framing: { type: 'string', default: 'line' },
      interval: { type: 'string', default: '2s' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help || !values.link) {
    process.stdout.write(HELP)
    return values.help ? 0 : 2
  }
  let cooling = 0
  let t = 0
  const sample = (): Reading => {
    t++
    cooling = Math.max(0, cooling - 0.1)
    const temperature = Math.round((22 + 3 * Math.sin(t / 20) - cooling + Math.random() * 0.2) * 100) / 100
    const humidity = Math.round((45 + 5 * Math.cos(t / 30)) * 10) / 10
    return { id: values.device as string, temperature, humidity }
  }
  const device = await playSerialDevice({
    gatewayPath: values.link,
    format: {
      codec: values.codec as WireCodec,
      framing: values.framing as WireFraming,
      columns: ['id', 'temperature', 'humidity'],
    },
    intervalMs: toMs(values.interval as string),
    sample,
    onCommand: (line) => {
      process.stdout.write(`command: ${line}\n`)
      if (/on/i.test(line)) cooling = 3
    },
  })
  process.stdout.write(`serial device ${values.device} on ${device.gatewayPath} (socat pid ${device.pid})\n`)
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve())
    process.once('SIGTERM', () => resolve())
  })
  await device.stop()
  return 0
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (err: unknown) => {
      process.stderr.write(`${(err as Error).message}\n`)
      process.exitCode = 1
    },
  )
}
