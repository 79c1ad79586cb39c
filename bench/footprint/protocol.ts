/** Shared by the footprint bench processes. */

/** Of every HOT_EVERY readings of a device, HOT_SHARE are hot (15 %): ~1.5k rule publishes/s at 10k. */
export const HOT_EVERY = 20
export const HOT_SHARE = 3

/** CLOCK_MONOTONIC in µs: the same clock in every process of the machine, so times compare across them. */
export function nowMicros(): number {
  return Number(process.hrtime.bigint() / 1000n)
}

/** The bench rule: per event, publishes device and seq of every reading above 29.5 °C. */
export const HOT_RULE = `# bench/footprint: a per-event rule that publishes on every hot reading
version: 1
id: footprint-hot
description: Bench probe; publishes each reading above 29.5 °C
from: { type: climate-sensor }
where: "has(data.temperature) && data.temperature > 29.5"
actions:
  - publish: { topic: "bench/hot/{{device}}", payload: "{{device}} {{data.seq}}", qos: 0 }
`
