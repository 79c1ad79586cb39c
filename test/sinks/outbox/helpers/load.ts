import type { MqttClient } from 'mqtt'

export interface SteadyLoad {
  /** seqs PUBACKed per device. */
  acked: Map<string, number[]>
  sent: () => number
  /** Stops publishing and waits for the outstanding PUBACKs (or their failure) unless told not to. */
  stop(options?: { wait: boolean }): Promise<void>
}

/**
 * Publishes QoS 1 climate readings from `devices` devices every `everyMs`: seq counts up per device and
 * is carried as `co2` (a field) with event time `t0 + seq` (unique per series, in order).
 */
export function steadyLoad(client: MqttClient, devices: string[], everyMs: number, t0: number): SteadyLoad {
  const acked = new Map<string, number[]>(devices.map((d) => [d, []]))
  const outstanding = new Set<Promise<void>>()
  let seq = 0
  let sent = 0
  const timer = setInterval(() => {
    for (const device of devices) {
      const s = seq
      const payload = JSON.stringify({ temperature: 20, co2: s, seq: s, ts: t0 + s })
      sent++
      const p = client
        .publishAsync(`devices/${device}/telemetry`, payload, { qos: 1 })
        .then(() => {
          acked.get(device)?.push(s)
        })
        .catch(() => undefined)
        .finally(() => outstanding.delete(p))
      outstanding.add(p)
    }
    seq++
  }, everyMs)
  return {
    acked,
    sent: () => sent,
    async stop(options = { wait: true }) {
      clearInterval(timer)
      if (options.wait) await Promise.all([...outstanding])
    },
  }
}
