import { spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import mqtt from 'mqtt'
import { launchChromium } from '../../test/web/browser.js'

/**
 * `npm run screenshots`: runs the demo (gateway + simulated greenhouse), waits until an alert fires,
 * adds a dead letter and an acknowledged alert, and saves a screenshot of every status page view to
 * docs/images/ with Debian's chromium (docs/status-page.md shows them).
 */
const OUT = 'docs/images'
const say = (s: string) => process.stdout.write(`${s}\n`)

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0))
    })
  })
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await probe().catch(() => undefined)
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 1000))
  }
}

async function main(): Promise<void> {
  const [mqttPort, httpPort] = [await freePort(), await freePort()]
  const base = `http://127.0.0.1:${httpPort}`
  const demo = spawn(process.execPath, ['--import', 'tsx', 'simulator/src/demo.ts'], {
    env: { ...process.env, DEMO_MQTT_PORT: String(mqttPort), DEMO_HTTP_PORT: String(httpPort) },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const browser = await launchChromium({ width: 1280, height: 860 })
  try {
    await until(
      'the status page',
      async () => ((await fetch(`${base}/api/session`)).ok ? true : undefined),
      90_000,
    )
    const api = async (path: string) =>
      (await (await fetch(`${base}/api/${path}`)).json()) as Record<string, unknown>
    say('waiting for the greenhouse to overheat (an alert firing)…')
    const firing = await until(
      'a firing alert',
      async () =>
        ((await api('alerts')).now as { state: string; rule: string; key: string }[]).find(
          (a) => a.state === 'firing',
        ),
      180_000,
    )
    // A dead letter to show, and an acknowledged alert.
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: 'screenshots' })
    await client.publishAsync('devices/south-climate-1/telemetry', '{"temperature": "very hot"}', { qos: 1 })
    await client.publishAsync('devices/north-climate-9/telemetry', 'not json', { qos: 1 })
    await client.endAsync()
    await fetch(`${base}/api/alerts/ack`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rule: firing.rule, key: firing.key }),
    })
    await new Promise((r) => setTimeout(r, 3000))
    mkdirSync(OUT, { recursive: true })
    const page = await browser.context.newPage()
    const views: [string, string, string][] = [
      ['overview', '#/overview', '#view-overview'],
      ['devices', '#/devices', '#view-devices'],
      ['device', '#/devices/south-climate-1', '#view-device svg.chart'],
      ['alerts', '#/alerts', '#view-alerts'],
      ['rules', '#/rules', '#view-rules'],
      ['deadletters', '#/deadletters', '#view-deadletters'],
      ['commands', '#/commands', '#view-commands'],
    ]
    for (const [name, hash, ready] of views) {
      await page.goto(`${base}/${hash}`)
      await page.waitForSelector(ready)
      await page.waitForTimeout(1500)
      await page.screenshot({ path: `${OUT}/status-${name}.png`, fullPage: true })
      say(`${OUT}/status-${name}.png`)
    }
    await page.setViewportSize({ width: 390, height: 844 })
    await page.goto(`${base}/#/overview`)
    await page.waitForSelector('#view-overview')
    await page.waitForTimeout(1500)
    await page.screenshot({ path: `${OUT}/status-phone.png` })
    say(`${OUT}/status-phone.png`)
  } finally {
    await browser.close()
    if (demo.exitCode === null && demo.pid) {
      const exited = new Promise((r) => demo.once('exit', r))
      process.kill(demo.pid, 'SIGTERM')
      await exited
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 1
})
