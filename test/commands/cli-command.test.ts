import { describe, expect, it } from 'vitest'
import { runCommand } from '../../src/cli/command.js'
import { fixtureCatalog } from '../devices/fixture-catalog.js'
import { useCleanup } from '../helpers/cleanup.js'
import { startTestGateway } from '../helpers/gateway.js'
import { connectClient } from '../helpers/mqtt.js'

const cleanup = useCleanup()

async function setup() {
  const catalog = fixtureCatalog()
  cleanup.push(catalog.remove)
  const gw = await startTestGateway({ catalog: catalog.dir, devices: { commands: { minInterval: 0 } } })
  cleanup.push(() => gw.gateway.stop())
  // sw1 acks every command; it connects with its id, so it is online.
  const device = await connectClient(gw.mqttUrl, { clientId: 'sw1' })
  cleanup.push(() => device.endAsync())
  device.on('message', (_t, payload) => {
    const { id } = JSON.parse(payload.toString()) as { id: string }
    device.publish('devices/sw1/acks', JSON.stringify({ id, status: 'ok' }), { qos: 1 })
  })
  await device.subscribeAsync('devices/sw1/commands/#', { qos: 1 })
  return gw
}

async function cli(argv: string[]) {
  const out: string[] = []
  const err: string[] = []
  const code = await runCommand(
    argv,
    (l) => out.push(l),
    (l) => err.push(l),
  )
  return { code, out, err }
}

describe('tidegate command', () => {
  it('sends through the gateway and prints the outcome: exit 0 when acked', async () => {
    const { mqttUrl } = await setup()
    const r = await cli(['sw1', 'set', '{"on":true}', '--url', mqttUrl])
    expect(r.err).toEqual([])
    expect(r.code).toBe(0)
    expect(r.out[0]).toMatch(/^sent [0-9a-f-]{36}: set → sw1 \(attempt 1\)$/)
    expect(r.out[1]).toMatch(/^acked [0-9a-f-]{36} in \d+ ms$/)
  })

  it('an invalid command: the gateway’s refusal is printed, exit 1', async () => {
    const { mqttUrl } = await setup()
    const r = await cli(['sw1', 'set', '{"on":"yes"}', '--url', mqttUrl])
    expect(r.code).toBe(1)
    expect(r.out).toEqual(['refused: invalid params: /on must be boolean'])
  })

  it('a device that is offline: refused by the default policy', async () => {
    const { mqttUrl } = await setup()
    const r = await cli(['sw2', 'set', '{"on":true}', '--url', mqttUrl, '--json'])
    expect(r.code).toBe(1)
    expect(JSON.parse(r.out[0] ?? '{}')).toMatchObject({
      status: 'refused',
      device: 'sw2',
      reason: expect.stringContaining('offline'),
    })
  })

  it('usage errors exit 2 without connecting, each line with its code', async () => {
    const missing = await cli(['sw1'])
    expect(missing.code).toBe(2)
    expect(missing.err[0]).toMatch(/^TG_CLI_USAGE: give a device, a command name/)
    const bad = await cli(['sw1', 'set', '{on:true}', '--url', 'mqtt://127.0.0.1:1'])
    expect(bad.code).toBe(2)
    expect(bad.err[0]).toMatch(/^TG_CLI_USAGE: params are not JSON/)
  })

  it('a broker that cannot be reached is TG_CLI_UNREACHABLE, exit 1', async () => {
    const r = await cli(['sw1', 'set', '{}', '--url', 'mqtt://127.0.0.1:1'])
    expect(r.code).toBe(1)
    expect(r.err[0]).toMatch(/^TG_CLI_UNREACHABLE: cannot connect to mqtt:\/\/127\.0\.0\.1:1: /)
  })
})
