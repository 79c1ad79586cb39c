import { type SimClock, SimDevice } from '../device.js'
import { expandDevices, loadScenarioFile } from '../scenario.js'
import { World } from '../world.js'
import type { FromWorker, LoadWorkerSetup, ToWorker } from './protocol.js'
import { RawMqttPublisher } from './raw-client.js'

/**
 * A load-generator process: plays a slice of the scenario's devices, each on its own MQTT connection,
 * at a fixed total rate. Run by load-generator.ts through child_process.fork.
 */

const TICK_MS = 5
const CONNECT_CONCURRENCY = 50

function send(m: FromWorker): void {
  process.send?.(m)
}

interface Played {
  device: SimDevice
  client: RawMqttPublisher
  topic: string
  lastTs: number
}

async function setup(s: LoadWorkerSetup): Promise<Played[]> {
  const scenario = loadScenarioFile(s.scenarioFile)
  const world = new World()
  const start = Date.now()
  const clock: SimClock = {
    now: Date.now,
    timeScale: scenario.timeScale,
    simTime: (real) => start + (real - start) * scenario.timeScale,
  }
  const specs = expandDevices(scenario, { devices: s.devices }).filter((d) => !d.group.actuator)
  const url = new URL(s.url)
  const played = specs.slice(s.from, s.to).map((spec) => {
    const device = new SimDevice(spec, s.seed, world, clock)
    device.seq = s.seqBase
    return {
      device,
      client: new RawMqttPublisher(url.hostname, Number(url.port), spec.id),
      topic: spec.topic,
      lastTs: 0,
    }
  })
  for (let i = 0; i < played.length; i += CONNECT_CONCURRENCY)
    await Promise.all(played.slice(i, i + CONNECT_CONCURRENCY).map((p) => p.client.connect()))
  return played
}

async function run(s: LoadWorkerSetup, played: Played[]): Promise<void> {
  const cpuStart = process.cpuUsage()
  const start = Date.now()
  let sent = 0
  let rr = 0
  let maxBehind = 0
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = Date.now()
      const elapsed = Math.min(now - start, s.durationMs)
      const backlog = Math.floor((s.rate * elapsed) / 1000) - sent
      maxBehind = Math.max(maxBehind, backlog)
      // At most 50 ms of schedule per tick: a stalled generator catches up gradually instead of
      // blocking its event loop on one huge burst (and the shortfall shows in the achieved rate).
      const due = Math.min(backlog, Math.max(50, Math.ceil(s.rate / 20)))
      const touched = new Set<Played>()
      for (let i = 0; i < due; i++) {
        const p = played[rr++ % played.length]
        if (!p?.client.writable) continue
        if (!touched.has(p)) {
          touched.add(p)
          p.client.cork()
        }
        // Strictly increasing ms per device: two readings never share an InfluxDB timestamp.
        p.lastTs = Math.max(now, p.lastTs + 1)
        p.client.publish(p.topic, JSON.stringify(p.device.sample(p.lastTs)), s.qos)
        sent++
      }
      for (const p of touched) p.client.uncork()
      if (now - start >= s.durationMs) {
        clearInterval(timer)
        resolve()
      }
    }, TICK_MS)
  })
  const elapsedMs = Date.now() - start
  // QoS 1: give the broker a moment to acknowledge what is in flight.
  const until = Date.now() + 5000
  const acked = () => played.reduce((n, p) => n + p.client.acked, 0)
  while (s.qos === 1 && acked() < sent && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
  const cpu = process.cpuUsage(cpuStart)
  const result = {
    sent,
    acked: acked(),
    elapsedMs,
    maxBehind,
    closed: played.filter((p) => p.client.closedReason !== undefined).length,
    cpuMs: (cpu.user + cpu.system) / 1000,
  }
  await Promise.all(played.map((p) => p.client.close()))
  send({ cmd: 'done', result })
}

let played: Played[] = []
let config: LoadWorkerSetup | undefined
process.on('message', (m: ToWorker) => {
  if (m.cmd === 'setup') {
    config = m
    setup(m).then(
      (p) => {
        played = p
        send({ cmd: 'ready', connected: p.length })
      },
      (err: unknown) => send({ cmd: 'error', message: (err as Error).message }),
    )
  } else if (m.cmd === 'go' && config) {
    run(config, played).then(
      () => process.disconnect(),
      (err: unknown) => send({ cmd: 'error', message: (err as Error).message }),
    )
  }
})
