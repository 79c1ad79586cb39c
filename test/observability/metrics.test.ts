import { describe, expect, it } from 'vitest'
import type { ExtensionFactory } from '../../src/extension.js'
import { extensionFactories } from '../../src/extensions.js'
import type { Gateway } from '../../src/gateway.js'
import type { Sample } from '../../src/observability/metrics-source.js'
import { useCleanup } from '../helpers/cleanup.js'
import { startTestGateway } from '../helpers/gateway.js'
import { connectClient } from '../helpers/mqtt.js'
import { type PromFamily, parsePrometheusText, sampleValue } from './prom-text.js'

const cleanup = useCleanup()

function baseUrl(gateway: Gateway): string {
  return `http://127.0.0.1:${gateway.http.address.port}`
}

async function scrape(gateway: Gateway): Promise<Map<string, PromFamily>> {
  const res = await fetch(`${baseUrl(gateway)}/metrics`)
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
  return parsePrometheusText(await res.text())
}

/** Scrapes until `done` holds (the broker and the writer work asynchronously) or the timeout passes. */
async function scrapeUntil(
  gateway: Gateway,
  done: (f: Map<string, PromFamily>) => boolean,
  timeoutMs = 5000,
): Promise<Map<string, PromFamily>> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const families = await scrape(gateway)
    if (done(families) || Date.now() > until) return families
    await new Promise((r) => setTimeout(r, 50))
  }
}

const TIDEGATE_FAMILIES: Record<string, string> = {
  tidegate_messages_in_total: 'counter',
  tidegate_messages_invalid_total: 'counter',
  tidegate_dead_letters_total: 'counter',
  tidegate_mqtt_publishes_total: 'counter',
  tidegate_mqtt_connected_clients: 'gauge',
  tidegate_mqtt_listeners: 'gauge',
  tidegate_influx_points_delivered_total: 'counter',
  tidegate_influx_write_retries_total: 'counter',
  tidegate_influx_points_dropped_total: 'counter',
  tidegate_influx_reachable: 'gauge',
  tidegate_outbox_pending_points: 'gauge',
  tidegate_outbox_pending_bytes: 'gauge',
  tidegate_outbox_oldest_age_seconds: 'gauge',
  tidegate_event_loop_delay_seconds: 'gauge',
  tidegate_catalog_device_types: 'gauge',
}

describe('GET /metrics', () => {
  it('exposes the gateway families as valid Prometheus text, with process metrics', async () => {
    const { gateway } = await startTestGateway()
    cleanup.push(() => gateway.stop())
    const families = await scrape(gateway)
    for (const [name, type] of Object.entries(TIDEGATE_FAMILIES)) {
      expect(families.get(name)?.type, name).toBe(type)
    }
    expect(families.get('process_resident_memory_bytes')?.type).toBe('gauge')
    expect(families.get('process_cpu_seconds_total')?.type).toBe('counter')
    expect(sampleValue(families, 'tidegate_catalog_device_types')).toBe(gateway.context.catalog.types.size)
    expect(sampleValue(families, 'tidegate_mqtt_listeners')).toBe(1)
    expect(sampleValue(families, 'tidegate_influx_reachable')).toBe(1)
  })

  it('counters move with valid and invalid traffic, and no label carries a device id', async () => {
    const { gateway, mqttUrl } = await startTestGateway()
    cleanup.push(() => gateway.stop())
    const device = await connectClient(mqttUrl)
    cleanup.push(() => device.endAsync())
    for (let i = 0; i < 3; i++) {
      await device.publishAsync('devices/metrics-dev-7/telemetry', `{"temperature":${20 + i}}`, { qos: 1 })
    }
    await device.publishAsync('devices/metrics-dev-7/power', '{"power":120.5}', { qos: 1 })
    await device.publishAsync('devices/metrics-dev-7/telemetry', '{not json', { qos: 1 })
    await device.publishAsync('devices/metrics-dev-7/telemetry', '{oops', { qos: 1 })
    await device.publishAsync('devices/metrics-dev-7/telemetry', '{"temperature":"hot"}', { qos: 1 })
    await device.publishAsync('devices/metrics-dev-7/nowhere', '{"x":1}', { qos: 1 })

    const families = await scrapeUntil(
      gateway,
      (f) =>
        (sampleValue(f, 'tidegate_influx_points_delivered_total') ?? 0) >= 4 &&
        sampleValue(f, 'tidegate_outbox_pending_points') === 0,
    )
    const mqttIn = { source: 'mqtt', stream: 'telemetry' }
    expect(sampleValue(families, 'tidegate_messages_in_total', { ...mqttIn, type: 'climate-sensor' })).toBe(3)
    expect(sampleValue(families, 'tidegate_messages_in_total', { ...mqttIn, type: 'power-meter' })).toBe(1)
    expect(sampleValue(families, 'tidegate_messages_invalid_total', { reason: 'invalid_json' })).toBe(2)
    expect(sampleValue(families, 'tidegate_messages_invalid_total', { reason: 'schema' })).toBe(1)
    expect(sampleValue(families, 'tidegate_messages_invalid_total', { reason: 'no_type' })).toBe(1)
    expect(sampleValue(families, 'tidegate_dead_letters_total', { reason: 'invalid_json' })).toBe(2)
    // 8 device publishes in; 4 dead letters out on tidegate/deadletter/<reason> by the gateway itself.
    expect(
      sampleValue(families, 'tidegate_mqtt_publishes_total', { origin: 'client', kind: 'device_data' }),
    ).toBe(8)
    expect(
      sampleValue(families, 'tidegate_mqtt_publishes_total', { origin: 'gateway', kind: 'dead_letter' }),
    ).toBe(4)
    expect(sampleValue(families, 'tidegate_mqtt_connected_clients')).toBe(1)
    // 4 telemetry points, plus whatever other features write (e.g. an availability point per device).
    const delivered = sampleValue(families, 'tidegate_influx_points_delivered_total') ?? 0
    expect(delivered).toBeGreaterThanOrEqual(4)
    expect(sampleValue(families, 'tidegate_outbox_accepted_points_total')).toBe(delivered)
    expect(sampleValue(families, 'tidegate_outbox_pending_points')).toBe(0)

    const labelValues = [...families.values()].flatMap((f) =>
      f.samples.flatMap((s) => Object.values(s.labels)),
    )
    expect(labelValues.some((v) => v.includes('metrics-dev-7'))).toBe(false)

    // A second client and more traffic: the same series move on, nothing resets between scrapes.
    const other = await connectClient(mqttUrl)
    cleanup.push(() => other.endAsync())
    await other.publishAsync('devices/metrics-dev-8/telemetry', '{"temperature":1}', { qos: 1 })
    const later = await scrapeUntil(
      gateway,
      (f) => sampleValue(f, 'tidegate_messages_in_total', { ...mqttIn, type: 'climate-sensor' }) === 4,
    )
    expect(sampleValue(later, 'tidegate_messages_in_total', { ...mqttIn, type: 'climate-sensor' })).toBe(4)
    expect(sampleValue(later, 'tidegate_messages_invalid_total', { reason: 'invalid_json' })).toBe(2)
    expect(sampleValue(later, 'tidegate_mqtt_connected_clients')).toBe(2)
  })

  it("exports a feature's metricSamples(); one that throws costs only its own samples", async () => {
    let frames = 5
    const feature =
      (name: string, metricSamples: () => Sample[]): ExtensionFactory =>
      () => ({
        name,
        start: async () => {},
        stop: async () => {},
        metricSamples,
      })
    const example = feature('example', () => [
      {
        name: 'tidegate_example_frames_total',
        help: 'frames',
        type: 'counter',
        labels: { port: 'ttyA' },
        value: frames,
      },
      { name: 'tidegate_mqtt_listeners', help: 'collides with a core family', type: 'gauge', value: 99 },
      { name: 'bad name', help: 'invalid', type: 'gauge', value: 1 },
    ])
    const broken = feature('broken', () => {
      throw new Error('boom')
    })
    const { gateway } = await startTestGateway({}, { extensions: [...extensionFactories, example, broken] })
    cleanup.push(() => gateway.stop())
    const first = await scrape(gateway)
    expect(first.get('tidegate_example_frames_total')?.type).toBe('counter')
    expect(sampleValue(first, 'tidegate_example_frames_total', { port: 'ttyA' })).toBe(5)
    expect(sampleValue(first, 'tidegate_mqtt_listeners')).toBe(1) // the core family wins
    frames = 9
    expect(sampleValue(await scrape(gateway), 'tidegate_example_frames_total', { port: 'ttyA' })).toBe(9)
    const after = await scrape(gateway)
    expect(sampleValue(after, 'tidegate_example_frames_total', { port: 'ttyA' })).toBe(9)
    expect(sampleValue(after, 'tidegate_mqtt_listeners')).toBe(1)
  })

  it('metrics.enabled: false serves no /metrics but still /readyz', async () => {
    const { gateway } = await startTestGateway({ metrics: { enabled: false } })
    cleanup.push(() => gateway.stop())
    expect((await fetch(`${baseUrl(gateway)}/metrics`)).status).toBe(404)
    expect((await fetch(`${baseUrl(gateway)}/readyz`)).status).toBe(200)
  })
})

describe('the Prometheus text parser used here', () => {
  it('rejects what Prometheus would reject', () => {
    expect(() => parsePrometheusText('# TYPE a counter\na{x="1" 1\n')).toThrow(/not a sample|bad labels/)
    expect(() => parsePrometheusText('b 1\n')).toThrow(/before its TYPE/)
    expect(() => parsePrometheusText('# TYPE c counter\nc one\n')).toThrow(/bad value/)
    const ok = parsePrometheusText('# HELP d help\n# TYPE d gauge\nd{k="a\\"b"} 2.5\n')
    expect(sampleValue(ok, 'd', { k: 'a"b' })).toBe(2.5)
  })
})
