// Throughput of the hardened broker (transport guard + auth + ACL + rate limiter) against plain Aedes
// on the same machine: one publisher, one subscriber, QoS 0, 100-byte payloads.
// Run: npx tsx bench/broker-guard.ts [messages]
import { createServer } from 'node:net'
import { Aedes } from 'aedes'
import mqtt from 'mqtt'
import { Broker } from '../src/broker/broker.js'
import { configFromObject } from '../src/config/load.js'

const N = Number(process.argv[2] ?? 200_000)
const payload = Buffer.alloc(100, 0x61)

async function run(port: number): Promise<number> {
  const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'bench-sub' })
  const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'bench-pub' })
  await sub.subscribeAsync('bench/#', { qos: 0 })
  let got = 0
  const done = new Promise<void>((resolve) =>
    sub.on('message', () => {
      if (++got === N) resolve()
    }),
  )
  const t0 = performance.now()
  for (let i = 0; i < N; i++) {
    pub.publish('bench/x', payload, { qos: 0 })
    // Yield now and then so the publisher's socket buffer does not hold everything at once.
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r))
  }
  await done
  const ms = performance.now() - t0
  await pub.endAsync()
  await sub.endAsync()
  return (N / ms) * 1000
}

async function plainAedes(): Promise<number> {
  const aedes = await Aedes.createBroker()
  const server = createServer((s) => aedes.handle(s))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const address = server.address()
  const rate = await run(typeof address === 'object' && address ? address.port : 0)
  server.close()
  await new Promise<void>((r) => aedes.close(() => r()))
  return rate
}

async function hardened(): Promise<number> {
  const config = configFromObject({
    mqtt: { listeners: [{ host: '127.0.0.1', port: 0 }], publishRate: { perSecond: 0 } },
  }).mqtt
  const broker = new Broker(config)
  await broker.start()
  const rate = await run(broker.listeners[0]?.port ?? 0)
  await broker.stop()
  return rate
}

const results: Record<string, number> = {}
for (let round = 0; round < 2; round++) {
  results.plain = Math.max(results.plain ?? 0, await plainAedes())
  results.hardened = Math.max(results.hardened ?? 0, await hardened())
}
const plain = results.plain ?? 0
const hard = results.hardened ?? 0
console.log(`${N} messages QoS 0, 100 B, best of 2 rounds`)
console.log(`plain aedes     ${plain.toFixed(0)} msg/s`)
console.log(`tidegate broker ${hard.toFixed(0)} msg/s (${((hard / plain) * 100).toFixed(0)}% of plain)`)
