import type { MqttClient } from 'mqtt'
import { type Mosquitto, startMosquitto } from '../../helpers/mosquitto.js'
import { connectClient } from '../../helpers/mqtt.js'

/** What arrived upstream per device, in arrival order (seq of each message). */
export function arrivals(client: MqttClient): Map<string, number[]> {
  const got = new Map<string, number[]>()
  client.on('message', (topic, payload) => {
    const device = topic.split('/').at(-2) ?? ''
    const list = got.get(device) ?? []
    list.push((JSON.parse(payload.toString()) as { seq: number }).seq)
    got.set(device, list)
  })
  return got
}

/** Per topic, the order of first arrivals is the publish order (a resend after a lost PUBACK may repeat). */
export function firstArrivalsInOrder(seqs: number[]): boolean {
  const seen = new Set<number>()
  let last = -1
  for (const s of seqs) {
    if (seen.has(s)) continue
    if (s < last) return false
    seen.add(s)
    last = s
  }
  return true
}

/**
 * A central mosquitto and a collector subscribed to `filter` with a clean=false session, so the broker
 * keeps queueing for it across a stop/start outage; both stopped by the cleanup.
 */
export async function centralWithCollector(
  cleanup: { push(fn: () => unknown): void },
  filter: string,
): Promise<{ broker: Mosquitto; got: Map<string, number[]> }> {
  const broker = await startMosquitto()
  cleanup.push(() => broker.dispose())
  const collector = await connectClient(broker.url, {
    clientId: 'collector',
    clean: false,
    reconnectPeriod: 100,
  })
  cleanup.push(() => collector.endAsync(true))
  collector.on('error', () => undefined)
  const got = arrivals(collector)
  await collector.subscribeAsync(filter, { qos: 1 })
  return { broker, got }
}
