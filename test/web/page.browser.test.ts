import { networkInterfaces } from 'node:os'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collect, connectClient } from '../helpers/mqtt.js'
import { launchChromium } from './browser.js'
import { startWebGateway } from './web-gateway.js'

type Gateway = Awaited<ReturnType<typeof startWebGateway>>
let browser: Awaited<ReturnType<typeof launchChromium>>
let context: BrowserContext
const stops: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  browser = await launchChromium()
  context = browser.context
})

afterAll(async () => {
  for (const stop of stops.reverse()) await stop()
  await browser?.close()
})

async function gateway(...args: Parameters<typeof startWebGateway>): Promise<Gateway> {
  const g = await startWebGateway(...args)
  stops.push(() => g.gateway.stop())
  return g
}

async function client(url: string, clientId: string) {
  const c = await connectClient(url, { clientId })
  stops.push(() => c.endAsync())
  return c
}

async function open(url: string): Promise<Page> {
  const page = await context.newPage()
  stops.push(() => page.close())
  await page.goto(url)
  return page
}

const text = (page: Page, selector: string) => page.locator(selector).first().textContent({ timeout: 5000 })

describe('status page in chromium (loopback, no login)', () => {
  let g: Gateway
  beforeAll(async () => {
    g = await gateway()
  })

  it('a simulated device appears and its value updates live, without a reload', async () => {
    const sensor = await client(g.mqttUrl, 'sensor-live')
    await sensor.publishAsync(
      'devices/sensor-live/telemetry',
      JSON.stringify({ temperature: 20.5, humidity: 50 }),
      { qos: 1 },
    )
    const page = await open(`${g.base}/#/devices`)
    await page.waitForSelector('[data-device="sensor-live"]')
    expect(await text(page, '[data-values="sensor-live"]')).toContain('temperature=20.5')
    let reloads = 0
    page.on('load', () => reloads++)
    await sensor.publishAsync(
      'devices/sensor-live/telemetry',
      JSON.stringify({ temperature: 24.25, humidity: 51 }),
      { qos: 1 },
    )
    await page
      .locator('[data-values="sensor-live"]', { hasText: 'temperature=24.25' })
      .waitFor({ timeout: 2000 })
    expect(reloads).toBe(0)
    // The device view: its fields charted (InfluxDB or memory), values live.
    await page.click('[data-device="sensor-live"]')
    await page.waitForSelector('#view-device svg.chart')
    await sensor.publishAsync(
      'devices/sensor-live/telemetry',
      JSON.stringify({ temperature: 26, humidity: 52 }),
      { qos: 1 },
    )
    await page.locator('[data-field="temperature"]', { hasText: /^26$/ }).waitFor({ timeout: 2000 })
  })

  it('an alert appears when the rule fires and an operator acknowledges it', async () => {
    const page = await open(`${g.base}/#/alerts`)
    await page.waitForSelector('#view-alerts')
    const sensor = await client(g.mqttUrl, 'sensor-hot')
    await sensor.publishAsync('devices/sensor-hot/telemetry', JSON.stringify({ temperature: 36 }), { qos: 1 })
    const button = page.locator('button.ack[data-key="sensor-hot"]')
    await button.waitFor({ timeout: 3000 })
    await button.click()
    await page.waitForSelector('text=acknowledged by anonymous', { timeout: 3000 })
  })

  it('a command sent from the page reaches devices/<id>/commands/<name> (real MQTT subscriber)', async () => {
    const meter = await client(g.mqttUrl, 'south-fan')
    const received = await collect(meter, 'devices/south-fan/commands/#')
    await meter.publishAsync('devices/south-fan/power', JSON.stringify({ power: 3, relay: false }), {
      qos: 1,
    })
    const page = await open(`${g.base}/#/commands`)
    await page.fill('#cmd-device', 'south-fan')
    await page.fill('#cmd-name', 'set')
    await page.fill('#cmd-params', '{"on": true}')
    await page.click('#command-form button[type=submit]')
    await page.waitForSelector('#cmd-result.ok', { timeout: 3000 })
    await received.next(1)
    expect(received.messages[0]?.topic).toBe('devices/south-fan/commands/set')
    expect(JSON.parse(received.messages[0]?.payload.toString() ?? '{}')).toMatchObject({
      params: { on: true },
    })
    // Refused input is shown with the dispatcher's reason.
    await page.fill('#cmd-params', '{"on": "yes"}')
    await page.click('#command-form button[type=submit]')
    await page.waitForSelector('#cmd-result.bad', { timeout: 3000 })
    expect(await text(page, '#cmd-result')).toContain('invalid params')
  })
})

describe('status page in chromium: who must log in', () => {
  it('a non-loopback client must log in; a device user cannot view; an operator can', async () => {
    const address = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address
    // Without a non-loopback interface, anonymous: never asks for the same login.
    const g = address ? await gateway({}, { host: address, port: 0 }) : await gateway({ anonymous: 'never' })
    const page = await open(`${g.base}/`)
    await page.waitForSelector('#login-form')
    await page.fill('#login-user', 'sensor-1')
    await page.fill('#login-password', 'dev-pass')
    await page.click('#login-form button[type=submit]')
    await page.locator('#login-message', { hasText: 'may not view' }).waitFor()
    await page.fill('#login-user', 'olga')
    await page.fill('#login-password', 'op-pass')
    await page.click('#login-form button[type=submit]')
    await page.waitForSelector('#view-overview')
    expect(await text(page, '#who')).toContain('olga (operator)')
    await context.clearCookies()
  })
})
