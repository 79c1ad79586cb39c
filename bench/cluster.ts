/**
 * The cluster's cost on one box (issue 19):
 *
 *   npm run bench:cluster                                  # defaults: 20000 messages per round, window 200
 *   npx tsx bench/cluster.ts --messages 20000 --window 200 --probes 20
 *
 * Rounds: a single node (no cluster), then 1, 2 and 3 cluster nodes on one local redis-server and one
 * influxd, each node the real CLI as a child process. Per round:
 * - throughput: one MQTT client per node publishes --messages / nodes QoS 1 telemetry messages (at most
 *   --window unacknowledged each); msg/s = all PUBACKs / wall time (every PUBACK waits for the outbox
 *   commit; in a cluster each event also goes to its partition stream and through its owner's rules);
 * - reaction: --probes times a sensor on the last node turns hot and cool; the time from its publish
 *   to the alert on a subscriber of the first node (median, p95). In a cluster the event crosses Redis
 *   twice (stream to the partition owner, alert back through the shared broker).
 * The single node vs one cluster node is the cost of the Redis hop. The machine is shared (2 cores for
 * everything here): the load average is printed with the figures.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import mqtt, { type MqttClient } from 'mqtt'
import { freePort } from '../test/helpers/free-port.js'
import { connectWhenUp, kill9, spawnGatewayProcess } from '../test/helpers/gateway-process.js'
import { startInfluxd } from '../test/helpers/influxd.js'
import { startRedis } from '../test/helpers/redis.js'

const { values: opts } = parseArgs({
  options: {
    messages: { type: 'string', default: '20000' },
    window: { type: 'string', default: '200' },
    probes: { type: 'string', default: '20' },
  },
})
const MESSAGES = Number(opts.messages)
const WINDOW = Number(opts.window)
const PROBES = Number(opts.probes)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')

/** QoS 1 publishes with at most `window` unacknowledged; resolves when all are PUBACKed. */
async function publishAll(client: MqttClient, device: string, count: number, window: number): Promise<void> {
  let sent = 0
  let done = 0
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (sent < count && sent - done < window) {
        const i = sent++
        const body = `{"temperature":${20 + (i % 10)},"seq":${i},"ts":${Date.now()}}`
        client.publish(`devices/${device}/telemetry`, body, { qos: 1 }, (err) => {
          if (err) return reject(err)
          if (++done === count) resolve()
          else pump()
        })
      }
    }
    pump()
  })
}

async function reactions(sensor: MqttClient, watcher: MqttClient, probes: number): Promise<number[]> {
  const out: number[] = []
  let waiting: ((at: number) => void) | null = null
  watcher.on('message', (topic, payload) => {
    if (topic !== 'alerts/hot/probe-1') return
    const state = (JSON.parse(payload.toString()) as { state: string }).state
    if (state === 'firing' || state === 'resolved') waiting?.(performance.now())
  })
  await watcher.subscribeAsync('alerts/hot/probe-1', { qos: 1 })
  for (let i = 0; i < probes * 2; i++) {
    const arrived = new Promise<number>((r) => {
      waiting = r
    })
    const t0 = performance.now()
    await sensor.publishAsync(
      'devices/probe-1/telemetry',
      JSON.stringify({ temperature: i % 2 === 0 ? 35 : 20 }),
      { qos: 1 },
    )
    const at = await Promise.race([arrived, sleep(10_000).then(() => Number.NaN)])
    out.push(at - t0)
    await sleep(50)
  }
  return out
}

const quantile = (xs: number[], q: number) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN
}

async function round(label: string, nodes: number, cluster: boolean, redisUrl: string, influxUrl: string) {
  const dir = mkdtempSync(join(tmpdir(), 'tidegate-bench-cluster-'))
  writeFileSync(
    join(dir, 'hot.yaml'),
    'version: 1\nid: hot\nfrom: { type: climate-sensor }\nwhere: "device == \'probe-1\'"\nwhen: "data.temperature > 30"\nclear: "data.temperature < 25"\nseverity: info\nactions:\n  - alert: { message: "hot" }\n',
  )
  // Each round starts from an empty Redis (no leases or streams of the previous one).
  const admin = new Redis(redisUrl)
  await admin.flushall()
  await admin.quit()
  const cleanup: (() => unknown)[] = []
  const procs: ReturnType<typeof spawnGatewayProcess>[] = []
  const urls: string[] = []
  const database = `bench_cluster_${Date.now()}`
  for (let n = 0; n < nodes; n++) {
    const port = await freePort()
    const file = join(dir, `node-${n}.yaml`)
    writeFileSync(
      file,
      `version: 1
mqtt: { listeners: [{ host: 127.0.0.1, port: ${port} }], publishRate: { perSecond: 0 } }
influx: { url: ${influxUrl}, database: ${database} }
http: { host: 127.0.0.1, port: 0 }
rules: ${dir}
dataDir: ${join(dir, `data-${n}`)}
journal: { enabled: false }
log: { level: warn }
${cluster ? `cluster: { redis: ${redisUrl}, nodeId: bench-${n}, leaseTtl: 2s }` : ''}
`,
    )
    procs.push(spawnGatewayProcess(file, { push: (fn) => cleanup.push(fn) }))
    urls.push(`mqtt://127.0.0.1:${port}`)
  }
  try {
    const clients: MqttClient[] = []
    for (const url of urls) clients.push(await connectWhenUp(url, 60_000))
    // Let the leases settle (a node takes its share within a few rounds of leaseTtl/3).
    if (cluster) await sleep(3000)
    const per = Math.floor(MESSAGES / nodes)
    const t0 = performance.now()
    await Promise.all(clients.map((c, i) => publishAll(c, `bench-${i}`, per, WINDOW)))
    const seconds = (performance.now() - t0) / 1000
    const watcher = await mqtt.connectAsync(urls[0] as string, { reconnectPeriod: 0 })
    const sensor = clients[clients.length - 1] as MqttClient
    const ms = await reactions(sensor, watcher, PROBES)
    await watcher.endAsync(true)
    for (const c of clients) await c.endAsync(true)
    const lost = ms.filter(Number.isNaN).length
    console.log(
      `${label.padEnd(22)} ${String(Math.round((per * nodes) / seconds)).padStart(7)} msg/s   reaction median ${quantile(ms, 0.5).toFixed(1)} ms  p95 ${quantile(ms, 0.95).toFixed(1)} ms${lost ? `  (${lost} alerts not seen in 10 s)` : ''}   load ${load()}`,
    )
  } finally {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) await kill9(p.child)
    for (const fn of cleanup.reverse()) await fn()
    rmSync(dir, { recursive: true, force: true })
  }
}

const redis = await startRedis()
const influxd = await startInfluxd()
try {
  console.log(`${MESSAGES} QoS 1 messages per round (window ${WINDOW} per client), ${PROBES} alert probes`)
  await round('single node (no Redis)', 1, false, redis.url, influxd.url)
  for (const nodes of [1, 2, 3])
    await round(`cluster, ${nodes} node${nodes > 1 ? 's' : ''}`, nodes, true, redis.url, influxd.url)
} finally {
  await redis.dispose()
  await influxd.stop()
}
