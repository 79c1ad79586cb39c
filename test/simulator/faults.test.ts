import { describe, expect, it } from 'vitest'
import { useCleanup } from '../helpers/cleanup.js'
import { queryUntil, startTestGateway } from '../helpers/gateway.js'
import { collect, connectClient } from '../helpers/mqtt.js'
import { startQuietSimulator, waitFor } from './sim-helpers.js'

const cleanup = useCleanup()

/** A gateway, a dead-letter watcher and the quiet simulator, all cleaned up after the test. */
async function setup(overrides: Record<string, unknown> = {}) {
  const gw = await startTestGateway(overrides)
  cleanup.push(() => gw.gateway.stop())
  const watcher = await connectClient(gw.mqttUrl)
  cleanup.push(() => watcher.endAsync())
  const dead = await collect(watcher, 'tidegate/deadletter/#')
  const sim = await startQuietSimulator(gw.mqttUrl)
  cleanup.push(() => sim.stop())
  const hygiene = () => gw.gateway.context.hygiene
  return { ...gw, dead, sim, hygiene }
}

/** Availability payloads: the gateway's JSON, or the device's raw will (`offline`). */
function availabilityOf(payload: Buffer | undefined): { status: string; reason?: string } {
  const text = payload?.toString() ?? ''
  return text.startsWith('{') ? JSON.parse(text) : { status: text, reason: 'raw will' }
}
const last = (messages: { payload: Buffer }[]) =>
  availabilityOf(messages[messages.length - 1]?.payload).status

const deadReasons = (dead: { messages: { topic: string }[] }) =>
  dead.messages.map((m) => m.topic.replace('tidegate/deadletter/', ''))

describe('simulated faults and how the gateway answers them', () => {
  it('malformed JSON and schema violations become dead letters naming the device', async () => {
    const { dead, sim, gateway } = await setup()
    await sim.inject({ fault: 'malformed_json', devices: 't-climate-1' })
    await sim.inject({ fault: 'schema_violation', devices: 't-climate-2' })
    await dead.next(2)
    expect(deadReasons(dead)).toEqual(['invalid_json', 'schema'])
    const bodies = dead.messages.map((m) => JSON.parse(m.payload.toString()))
    expect(bodies[0]).toMatchObject({ device: 't-climate-1', reason: 'invalid_json' })
    expect(bodies[1]).toMatchObject({ device: 't-climate-2', reason: 'schema' })
    expect(bodies[1].errors.join(' ')).toContain('/temperature must be number')
    expect(gateway.deadLetters.total()).toBe(2)
  })

  it('duplicates (same seq) are dropped and counted: one point per seq reaches InfluxDB', async () => {
    const { dead, sim, influx, hygiene } = await setup()
    await sim.inject({ fault: 'duplicate', devices: 't-climate-1', count: 3 })
    await dead.next(3)
    expect(deadReasons(dead)).toEqual(['duplicate', 'duplicate', 'duplicate'])
    expect(hygiene()?.duplicates).toBe(3)
    const q = `SELECT count(temperature) FROM climate WHERE device = 't-climate-1'`
    const { rows } = await queryUntil(influx, q, (r) => r.length === 1)
    // Wait out a flush interval so a wrongly written duplicate would show up too.
    await new Promise((r) => setTimeout(r, 300))
    const again = await influx.query(q)
    expect(rows[0]?.[1]).toBe(1)
    expect(again.results[0]?.series?.[0]?.values?.[0]?.[1]).toBe(1)
  })

  it('out-of-order messages are counted and both still land in InfluxDB', async () => {
    const { sim, influx, hygiene } = await setup()
    sim.publishNow('t-climate-1')
    await sim.inject({ fault: 'out_of_order', devices: 't-climate-1' })
    await waitFor('out-of-order count', () => (hygiene()?.outOfOrder ?? 0) >= 1)
    const { rows } = await queryUntil(
      influx,
      `SELECT temperature FROM climate WHERE device = 't-climate-1'`,
      (r) => r.length === 3,
    )
    expect(rows).toHaveLength(3)
    expect(hygiene()?.outOfOrder).toBe(1)
  })

  it('clock skew is counted under the default policy and dead-lettered under policy reject', async () => {
    const kept = await setup()
    await kept.sim.inject({ fault: 'clock_skew', devices: 't-climate-1', offset: '1h' })
    await waitFor('skew count', () => (kept.hygiene()?.skewed ?? 0) >= 1)
    const { rows } = await queryUntil(kept.influx, 'SELECT temperature FROM climate', (r) => r.length === 1)
    expect(Number(rows[0]?.[0])).toBeGreaterThan(Date.now() + 50 * 60_000)

    const strict = await setup({ devices: { clockSkew: { policy: 'reject', max: '5m' } } })
    await strict.sim.inject({ fault: 'clock_skew', devices: 't-climate-1', offset: '1h' })
    await strict.dead.next(1)
    expect(deadReasons(strict.dead)).toEqual(['clock_skew'])
  })

  it('late messages keep their event time (within the skew limit) instead of being lost', async () => {
    const { sim, influx } = await setup()
    const before = Date.now()
    await sim.inject({ fault: 'late', devices: 't-climate-1', offset: '2m' })
    const { rows } = await queryUntil(influx, 'SELECT temperature FROM climate', (r) => r.length === 1)
    const t = Number(rows[0]?.[0])
    expect(t).toBeLessThan(before - 110_000)
    expect(t).toBeGreaterThan(before - 130_000)
  })

  it('a burst arrives whole', async () => {
    const { sim, influx } = await setup()
    await sim.inject({ fault: 'burst', devices: 't-climate-2', count: 500 })
    const q = `SELECT count(temperature) FROM climate WHERE device = 't-climate-2'`
    const { rows } = await queryUntil(influx, q, (r) => r[0]?.[1] === 500, 10_000)
    expect(rows[0]?.[1]).toBe(500)
    expect(sim.stats.failed).toBe(0)
  })

  it('an oversize payload is refused by the broker; the device reconnects and is heard again', async () => {
    const { sim, influx, gateway } = await setup()
    await sim.inject({ fault: 'oversize', devices: 't-climate-1', size: 400_000 })
    await waitFor('reconnect after the refused packet', () => sim.stats.reconnects >= 1, 8000)
    expect(gateway.broker.refusals.counts.get('packet_too_large')).toBe(1)
    sim.publishNow('t-climate-1')
    const { rows } = await queryUntil(influx, 'SELECT temperature FROM climate', (r) => r.length === 1)
    expect(rows).toHaveLength(1)
  })

  it('a dropped connection (no DISCONNECT) sends the will: offline, then online again on reconnect', async () => {
    const { sim, mqttUrl } = await setup()
    const watcher = await connectClient(mqttUrl)
    cleanup.push(() => watcher.endAsync())
    const availability = await collect(watcher, 'devices/t-climate-1/availability')
    sim.publishNow('t-climate-1') // the gateway learns which client is which device from its topics
    await availability.next(1)
    await sim.inject({ fault: 'disconnect', devices: 't-climate-1', downFor: 200 })
    await waitFor(
      'online again',
      () => availability.messages.length >= 3 && last(availability.messages) === 'online',
    )
    const states = availability.messages.map((m) => availabilityOf(m.payload))
    // The gateway's retained state change and the raw will both arrive on the topic.
    const changes = states.map((s) => s.status).filter((s, i, all) => i === 0 || all[i - 1] !== s)
    expect(changes).toEqual(['online', 'offline', 'online'])
    expect(states.filter((s) => s.status === 'offline').map((s) => s.reason)).toContain('will')
    expect(sim.stats.reconnects).toBe(1)
  })

  it('a reconnect storm leaves every device connected and the gateway serving', async () => {
    const { sim, influx, gateway } = await setup()
    await sim.inject({ fault: 'reconnect_storm', devices: 't-climate-*', count: 5, downFor: 20 })
    expect(sim.stats.reconnects).toBe(10)
    sim.publishNow('t-climate-1')
    sim.publishNow('t-climate-2')
    const { rows } = await queryUntil(influx, 'SELECT temperature FROM climate', (r) => r.length === 2)
    expect(rows).toHaveLength(2)
    expect(gateway.context.devices.availability.get('t-climate-1')?.status).toBe('online')
  })
})
