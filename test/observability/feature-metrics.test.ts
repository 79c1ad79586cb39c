import { describe, expect, it } from 'vitest'
import type { Gateway } from '../../src/gateway.js'
import { useCleanup } from '../helpers/cleanup.js'
import { startTestGateway } from '../helpers/gateway.js'
import { connectClient } from '../helpers/mqtt.js'
import { type PromFamily, parsePrometheusText, sampleValue } from './prom-text.js'

const cleanup = useCleanup()

async function scrape(gateway: Gateway): Promise<Map<string, PromFamily>> {
  const res = await fetch(`http://127.0.0.1:${gateway.http.address.port}/metrics`)
  return parsePrometheusText(await res.text())
}

function total(families: Map<string, PromFamily>, name: string): number {
  return (families.get(name)?.samples ?? []).reduce((sum, s) => sum + s.value, 0)
}

/**
 * The numbers other features keep (broker refusals, device availability, journal, rules) reach /metrics
 * through their views in ctx.services, whichever of those features this build has.
 */
describe('metrics from other features', () => {
  it('a refused publish, a device going offline and journal records show up', async () => {
    const { gateway, mqttUrl } = await startTestGateway()
    cleanup.push(() => gateway.stop())
    const before = await scrape(gateway)
    expect(total(before, 'tidegate_mqtt_refusals_total')).toBe(0)

    const device = await connectClient(mqttUrl, { clientId: 'feat-dev-1' })
    cleanup.push(() => device.endAsync())
    await device.publishAsync('devices/feat-dev-1/telemetry', '{"temperature":7}', { qos: 1 })
    // Only the gateway itself may write under tidegate/: refused (and counted) by the broker.
    device.publish('tidegate/forged', '{}', { qos: 0 })

    const until = Date.now() + 5000
    let after = await scrape(gateway)
    while (total(after, 'tidegate_mqtt_refusals_total') === 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50))
      after = await scrape(gateway)
    }
    expect(total(after, 'tidegate_mqtt_refusals_total')).toBeGreaterThanOrEqual(1)
    expect(after.get('tidegate_mqtt_auth_failures_total')?.type).toBe('counter')
    expect(total(after, 'tidegate_devices')).toBeGreaterThanOrEqual(1)
    expect(after.get('tidegate_devices')?.samples.every((s) => s.labels['type'] !== undefined)).toBe(true)
    expect(sampleValue(after, 'tidegate_journal_records_total')).toBeGreaterThanOrEqual(1)
    const ruleLabels = new Set(after.get('tidegate_rule_events_total')?.samples.map((s) => s.labels['rule']))
    expect(ruleLabels.size).toBeGreaterThanOrEqual(1)
    // The read back-pressure gauges: once the publishes went through, nothing is left counted in flight
    // (a count that leaked would keep connections waiting for room that never comes).
    expect(after.get('tidegate_mqtt_packets_in_flight')?.type).toBe('gauge')
    expect(after.get('tidegate_mqtt_connections_waiting_to_read')?.type).toBe('gauge')
    expect(sampleValue(after, 'tidegate_mqtt_packets_in_flight')).toBe(0)
    expect(sampleValue(after, 'tidegate_mqtt_connections_waiting_to_read')).toBe(0)
    // Bounded labels: no series names the device.
    const labelValues = [...after.values()].flatMap((f) => f.samples.flatMap((s) => Object.values(s.labels)))
    expect(labelValues.some((v) => v.includes('feat-dev-1'))).toBe(false)
  })
})
