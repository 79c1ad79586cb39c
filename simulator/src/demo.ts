import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { startWiredSensor, type WiredSensor } from '../serial/index.js'
import { loadScenarioFile } from './scenario.js'
import { Simulator } from './simulator.js'

/**
 * `npm run demo`: the gateway with the shipped config (config/gateway.yaml, rules/, devices/) plus the
 * greenhouse scenario, narrated: telemetry per zone, alerts, commands and acks as they happen.
 * Uses InfluxDB at the configured URL when it answers, else starts a throwaway influxd (Debian
 * package `influxdb`) so the points have somewhere to go. Ports: DEMO_MQTT_PORT (1883), DEMO_HTTP_PORT (8080).
 */
const MQTT_PORT = Number(process.env['DEMO_MQTT_PORT'] ?? 1883)
const HTTP_PORT = Number(process.env['DEMO_HTTP_PORT'] ?? 8080)
const INFLUX_URL = process.env['TIDEGATE_INFLUX__URL'] ?? 'http://127.0.0.1:8086'
const DURATION_S = Number(process.env['DEMO_DURATION'] ?? 0)
const say = (s: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`)

async function influxAnswers(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) })).status === 204
  } catch {
    return false
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

/** A wired (serial, socat pty) climate sensor in the north zone, when socat is installed. */
async function startWired(temperature: () => number): Promise<WiredSensor | undefined> {
  try {
    return await startWiredSensor({ device: 'north-wired-1', zone: 'north', intervalMs: 2000, temperature })
  } catch (err) {
    say(`no wired sensor (${(err as Error).message.split('\n')[0]}); install socat to see one`)
    return undefined
  }
}

async function startGateway(influxUrl: string, extraEnv: Record<string, string>): Promise<ChildProcess> {
  if (await portOpen(MQTT_PORT)) throw new Error(`port ${MQTT_PORT} is taken; set DEMO_MQTT_PORT=<free port>`)
  const env = {
    ...process.env,
    ...extraEnv,
    TIDEGATE_INFLUX__URL: influxUrl,
    TIDEGATE_MQTT__LISTENERS__0__HOST: '127.0.0.1',
    TIDEGATE_MQTT__LISTENERS__0__PORT: String(MQTT_PORT),
    TIDEGATE_HTTP__PORT: String(HTTP_PORT),
    TIDEGATE_DATADIR: mkdtempSync(join(tmpdir(), 'tidegate-demo-')),
    TIDEGATE_LOG__LEVEL: process.env['TIDEGATE_LOG__LEVEL'] ?? 'warn',
  }
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'run', '--config', 'config/gateway.yaml'],
    {
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  )
  const until = Date.now() + 30_000
  while (!(await portOpen(MQTT_PORT))) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}`)
    if (Date.now() > until) throw new Error('gateway did not start within 30 s')
    await new Promise((r) => setTimeout(r, 200))
  }
  return child
}

async function main(): Promise<void> {
  let influxUrl = INFLUX_URL
  let stopInflux: (() => Promise<void>) | undefined
  if (!(await influxAnswers(influxUrl))) {
    say(`no InfluxDB at ${influxUrl}; starting a throwaway influxd`)
    const { startInfluxd } = await import('../../test/helpers/influxd.js')
    const influxd = await startInfluxd()
    influxUrl = influxd.url
    stopInflux = () => influxd.stop()
  }
  const url = `mqtt://127.0.0.1:${MQTT_PORT}`
  // Constructed now (it only assigns), started once the gateway listens.
  const sim = new Simulator({
    url,
    scenario: loadScenarioFile('simulator/scenarios/greenhouse.yaml'),
    log: (l) => say(`sim   ${l}`),
  })
  // The wired sensor reads the same simulated north zone as the MQTT sensors.
  const wired = await startWired(() => 24 + sim.world.offsets('north', Date.now()).temperature)
  const gateway = await startGateway(influxUrl, wired?.env ?? {})
  say(`gateway up: mqtt ${url}, InfluxDB ${influxUrl} (database tidegate)`)
  say(`status page: http://127.0.0.1:${HTTP_PORT}/`)

  const watcher = await mqtt.connectAsync(url, { clientId: 'demo-watcher' })
  const latest = new Map<string, number>()
  watcher.on('message', (topic, payload, packet) => {
    try {
      narrate(topic, payload.toString(), packet.retain)
    } catch {
      // Not JSON (a broken device payload): the gateway dead-letters it; the narrator skips it.
    }
  })
  const narrate = (topic: string, text: string, retained: boolean) => {
    if (topic.endsWith('/telemetry')) {
      const t = (JSON.parse(text) as { temperature?: number }).temperature
      if (typeof t === 'number') latest.set(topic.split('/')[1] ?? '?', t)
    } else if (topic.startsWith('alerts/') && !retained) {
      const a = JSON.parse(text) as { state?: string; message?: string }
      say(`ALERT ${topic} ${a.state}: ${a.message ?? ''}`)
    } else if (topic.endsWith('/acks')) {
      say(`ack   ${topic}: ${text}`)
    }
  }
  await watcher.subscribeAsync(['devices/+/telemetry', 'alerts/#', 'devices/+/acks'], { qos: 0 })

  sim.onCommand((c) => say(`CMD   ${c.device} ${c.name} ${c.payload.toString()}`))
  await sim.start()
  say(
    `greenhouse: ${sim.deviceIds.length} simulated MQTT devices${wired ? ` + wired sensor north-wired-1 on ${wired.device.gatewayPath}` : ''}; the south zone overheats at 5 s. Ctrl-C to stop.`,
  )

  const status = setInterval(() => {
    const zones = ['north', 'south'].map((z) => {
      const temps = [...latest.entries()].filter(([d]) => d.startsWith(`${z}-`)).map(([, t]) => t)
      const mean = temps.length ? (temps.reduce((a, b) => a + b, 0) / temps.length).toFixed(1) : '–'
      const fan = sim.device(`${z}-fan`).actuatorOn ? 'on' : 'off'
      return `${z} ${mean} °C (fan ${fan})`
    })
    void Promise.all([pointCount(influxUrl), pointCount(influxUrl, 'north-wired-1')]).then(([n, w]) =>
      say(
        `telemetry: ${zones.join(', ')}; ${n} climate points in InfluxDB${wired ? ` (${w} from the wired sensor)` : ''}; MQTT messages sent ${sim.stats.sent}`,
      ),
    )
  }, 5000)

  await new Promise<void>((resolve) => {
    if (DURATION_S > 0) setTimeout(resolve, DURATION_S * 1000)
    process.once('SIGINT', () => resolve())
    process.once('SIGTERM', () => resolve())
  })
  clearInterval(status)
  await sim.stop()
  await watcher.endAsync()
  if (gateway.pid && gateway.exitCode === null) {
    const exited = new Promise((r) => gateway.once('exit', r))
    process.kill(gateway.pid, 'SIGTERM')
    await exited
  }
  await wired?.stop()
  await stopInflux?.()
  say('demo stopped')
}

async function pointCount(influxUrl: string, device?: string): Promise<string> {
  try {
    const where = device ? ` WHERE "device" = '${device}'` : ''
    const q = encodeURIComponent(`SELECT count(temperature) FROM climate${where}`)
    const res = await fetch(`${influxUrl}/query?db=tidegate&q=${q}`, { signal: AbortSignal.timeout(2000) })
    const body = (await res.json()) as { results?: { series?: { values?: unknown[][] }[] }[] }
    return String(body.results?.[0]?.series?.[0]?.values?.[0]?.[1] ?? 0)
  } catch {
    return '?'
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 1
})
