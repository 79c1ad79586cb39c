import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'

export async function connectClient(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options })
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('error', reject)
  })
  return client
}

/** Collects messages on a filter; `next(n)` waits until n have arrived. */
export async function collect(client: MqttClient, filter: string) {
  const messages: { topic: string; payload: Buffer; retain: boolean }[] = []
  const waiters: { n: number; resolve: () => void }[] = []
  client.on('message', (topic, payload, packet) => {
    messages.push({ topic, payload, retain: packet.retain })
    for (const w of waiters.splice(0)) {
      if (messages.length >= w.n) w.resolve()
      else waiters.push(w)
    }
  })
  await client.subscribeAsync(filter, { qos: 1 })
  return {
    messages,
    async next(n: number, timeoutMs = 5000): Promise<void> {
      if (messages.length >= n) return
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`only ${messages.length}/${n} messages on ${filter}`)),
          timeoutMs,
        )
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer)
            resolve()
          },
        })
      })
    },
  }
}
