import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Reading } from './frames.js'
import { type PlayingDevice, playSerialDevice } from './serial-device.js'

export interface WiredSensorOptions {
  /** Device id sent in each frame (default `wired-1`). */
  device?: string
  /** Zone tag of the climate-sensor type (default `north`). */
  zone?: string
  intervalMs?: number
  /** The next temperature (°C); default a slow wave around 22 °C. Lets a scenario drive the wired sensor. */
  temperature?: () => number
  onCommand?: (line: string) => void
}

export interface WiredSensor {
  readonly device: PlayingDevice
  /** The gateway's `serial[]` entry for this sensor. */
  readonly serialConfig: Record<string, unknown>
  /** The same entry as an environment override for a gateway child process (`TIDEGATE_SERIAL`). */
  readonly env: Record<string, string>
  stop(): Promise<void>
}

const COLUMNS = ['id', 'temperature', 'humidity', 'zone']

/**
 * A wired climate sensor for demos: CSV lines on a fresh pty (socat), readable by the shipped
 * `climate-sensor` type. Start it, pass `env` (or `serialConfig`) to the gateway, stop it at the end.
 */
export async function startWiredSensor(options: WiredSensorOptions = {}): Promise<WiredSensor> {
  const dir = mkdtempSync(join(tmpdir(), 'tidegate-wired-'))
  const id = options.device ?? 'wired-1'
  const zone = options.zone ?? 'north'
  let t = 0
  const temperature = options.temperature ?? (() => 22 + 2 * Math.sin(t / 30))
  const sample = (): Reading => {
    t++
    return {
      id,
      temperature: Math.round(temperature() * 100) / 100,
      humidity: Math.round((55 + 5 * Math.cos(t / 40)) * 10) / 10,
      zone,
    }
  }
  let device: PlayingDevice
  try {
    device = await playSerialDevice({
      gatewayPath: join(dir, id),
      format: { codec: 'csv', columns: COLUMNS },
      intervalMs: options.intervalMs ?? 2000,
      sample,
      onCommand: options.onCommand,
    })
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  const serialConfig = {
    name: id,
    port: device.gatewayPath,
    codec: { kind: 'csv', columns: COLUMNS },
    device: { field: 'id' },
    type: 'climate-sensor',
  }
  return {
    device,
    serialConfig,
    env: { TIDEGATE_SERIAL: JSON.stringify([serialConfig]) },
    async stop() {
      await device.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
