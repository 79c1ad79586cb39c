/**
 * Serial ingest benchmark: how many frames per second one port's pipeline (framing → codec → device id
 * → normalise/validate → emit) takes, and how fast real bytes through a socat pty pair become events.
 *
 *   npx tsx bench/serial.ts [--frames 200000] [--pty-frames 20000]
 *
 * Part 1 drives SerialSource.onBytes in process (no port), per codec, with the shipped climate-sensor
 * type, in 4 KiB chunks as a busy port would deliver them. Part 2 opens a real pty (socat) and writes
 * CSV lines from a child side as fast as the pty takes them, counting events until all have arrived.
 * A serial line at 115200 baud carries ~11,500 bytes/s (~400 such lines/s): the figures show headroom.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { encodeFrame, type Reading, type WireFormat } from '../simulator/serial/frames.js'
import { startPtyPair } from '../simulator/serial/pty-pair.js'
import { SerialDeviceEnd } from '../simulator/serial/serial-device.js'
import { configFromObject } from '../src/config/load.js'
import { loadCatalog } from '../src/devices/catalog.js'
import { DeadLetters } from '../src/ingest/dead-letters.js'
import { Normalizer } from '../src/ingest/normalize.js'
import type { SerialPortConfig } from '../src/ingest/serial/config-schema.js'
import { SerialSource } from '../src/ingest/serial/serial-source.js'
import { createLogger, RateLimitedLog } from '../src/observability/logger.js'

const { values: args } = parseArgs({
  options: {
    frames: { type: 'string', default: '200000' },
    'pty-frames': { type: 'string', default: '20000' },
  },
})
const FRAMES = Number(args.frames)
const PTY_FRAMES = Number(args['pty-frames'])
const logger = createLogger('silent', false)
const { catalog } = loadCatalog('devices')
const type = catalog.types.get('climate-sensor')
if (!type) throw new Error('devices/climate-sensor.yaml is needed')
const normalizer = new Normalizer(catalog, { deviceTopicPrefix: 'devices/' })
const deadLetters = new DeadLetters(() => {}, new RateLimitedLog(logger, 0))

function portConfig(
  port: string,
  codec: Record<string, unknown>,
  device: Record<string, string> = { field: 'id' },
): SerialPortConfig {
  const config = configFromObject({
    serial: [
      {
        port,
        codec,
        device,
        type: 'climate-sensor',
        reconnect: { initial: '20ms', max: '100ms' },
      },
    ],
  })
  return config.serial[0] as SerialPortConfig
}

function source(config: SerialPortConfig, onEvent: () => void): SerialSource {
  return new SerialSource(config, {
    type: type!,
    normalizer,
    deadLetters,
    emit: onEvent,
    logger,
    bindDevice: () => {},
  })
}

const reading = (i: number): Reading => ({
  id: `s-${i % 50}`,
  temperature: 20 + (i % 100) / 10,
  humidity: 40 + (i % 7),
})

function inProcess(name: string, codec: Record<string, unknown>, format: WireFormat, fixedId = false): void {
  let events = 0
  const device: Record<string, string> = fixedId ? { id: 'nmea-1' } : { field: 'id' }
  const src = source(portConfig('/dev/null-bench', codec, device), () => events++)
  // XDR transducer values are numbers: an NMEA port names its device in the config, not in the frame.
  const sample = (i: number): Reading => {
    const r = reading(i)
    if (fixedId) delete r.id
    return r
  }
  const wire = Buffer.concat(Array.from({ length: 1000 }, (_, i) => encodeFrame(sample(i), format)))
  const rounds = Math.ceil(FRAMES / 1000)
  const start = process.hrtime.bigint()
  for (let r = 0; r < rounds; r++)
    for (let off = 0; off < wire.length; off += 4096) src.onBytes(wire.subarray(off, off + 4096))
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  const rate = Math.round((events / ms) * 1000)
  console.log(
    `${name.padEnd(6)} ${events} events in ${ms.toFixed(0)} ms: ${rate.toLocaleString('en')} frames/s, ${(wire.length / 1000).toFixed(0)} B/frame, errors ${JSON.stringify(src.stats.errors)}`,
  )
}

async function throughPty(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tidegate-serial-bench-'))
  const pair = await startPtyPair(join(dir, 'gw'))
  const end = await SerialDeviceEnd.open(pair.devicePath)
  let events = 0
  let done: () => void = () => {}
  const all = new Promise<void>((r) => {
    done = r
  })
  const src = source(
    portConfig(pair.gatewayPath, { kind: 'csv', columns: ['id', 'temperature', 'humidity'] }),
    () => {
      if (++events === PTY_FRAMES) done()
    },
  )
  await src.start()
  const format: WireFormat = { codec: 'csv', columns: ['id', 'temperature', 'humidity'] }
  const start = process.hrtime.bigint()
  for (let i = 0; i < PTY_FRAMES; i += 500) {
    await end.write(
      Buffer.concat(
        Array.from({ length: Math.min(500, PTY_FRAMES - i) }, (_, k) => encodeFrame(reading(i + k), format)),
      ),
    )
  }
  await Promise.race([all, new Promise((r) => setTimeout(r, 60_000))])
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  console.log(
    `pty    ${events}/${PTY_FRAMES} csv events through socat in ${ms.toFixed(0)} ms: ${Math.round((events / ms) * 1000).toLocaleString('en')} frames/s, ${src.stats.bytes} bytes, errors ${JSON.stringify(src.stats.errors)}`,
  )
  await src.stop()
  await end.close()
  await pair.stop()
  rmSync(dir, { recursive: true, force: true })
}

inProcess('json', { kind: 'json' }, { codec: 'json' })
inProcess(
  'csv',
  { kind: 'csv', columns: ['id', 'temperature', 'humidity'] },
  { codec: 'csv', columns: ['id', 'temperature', 'humidity'] },
)
inProcess('kv', { kind: 'kv' }, { codec: 'kv' })
inProcess('nmea', { kind: 'nmea' }, { codec: 'nmea' }, true)
await throughPty()
