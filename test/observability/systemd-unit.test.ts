import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, inject, it } from 'vitest'
import { InfluxHttpClient } from '../../src/sinks/influx/http-client.js'
import { useCleanup } from '../helpers/cleanup.js'
import { freePort } from '../helpers/free-port.js'
import { queryUntil, uniqueDatabase } from '../helpers/gateway.js'
import { connectClient } from '../helpers/mqtt.js'

const exec = promisify(execFile)
const ROOT = resolve(import.meta.dirname, '../..')

/** The [Service] settings of the shipped unit: repeated keys (Environment=) keep every value. */
function serviceSection(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  let inService = false
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line.startsWith('[')) inService = line === '[Service]'
    if (!inService || line === '' || line.startsWith('#')) continue
    const eq = line.indexOf('=')
    const key = line.slice(0, eq)
    out.set(key, [...(out.get(key) ?? []), line.slice(eq + 1)])
  }
  return out
}

const cleanup = useCleanup()

/**
 * Runs the gateway the way config/tidegate.service does, with the unit's paths moved into temp folders:
 * its ExecStart (node flags, the bundle), WorkingDirectory, Environment and EnvironmentFile.
 */
describe('config/tidegate.service', () => {
  it('its ExecStart, environment and folders start a working gateway that stops cleanly on SIGTERM', async () => {
    const unit = serviceSection(readFileSync(join(ROOT, 'config/tidegate.service'), 'utf8'))
    expect(unit.get('Restart')).toEqual(['on-failure'])
    expect(unit.get('ProtectSystem')).toEqual(['strict'])
    expect(unit.get('ReadWritePaths')).toEqual(['/var/lib/tidegate'])
    expect(unit.get('StateDirectory')).toEqual(['tidegate'])

    // /opt/tidegate inside the repo so the bundle finds node_modules; /etc and /var/lib in temp folders.
    mkdirSync(join(ROOT, '.tmp'), { recursive: true })
    const opt = mkdtempSync(join(ROOT, '.tmp', 'unit-opt-'))
    const tmp = mkdtempSync(join(ROOT, '.tmp', 'unit-fs-'))
    cleanup.push(() => rmSync(opt, { recursive: true, force: true }))
    cleanup.push(() => rmSync(tmp, { recursive: true, force: true }))
    const etc = join(tmp, 'etc')
    const state = join(tmp, 'state')
    mkdirSync(etc)
    mkdirSync(state)
    const moved = (p: string) =>
      p
        .replaceAll('/opt/tidegate', opt)
        .replaceAll('/etc/tidegate', etc)
        .replaceAll('/var/lib/tidegate', state)
        .replace(/^\/usr\/bin\/node$/, process.execPath)

    await exec(
      'npm',
      ['run', 'build:bundle', '--silent', '--', `--outfile=${opt}/dist/src/cli/tidegate.mjs`],
      {
        cwd: ROOT,
      },
    )
    cpSync(join(ROOT, 'devices'), join(etc, 'devices'), { recursive: true })
    cpSync(join(ROOT, 'rules'), join(etc, 'rules'), { recursive: true })
    const mqttPort = await freePort()
    const httpPort = await freePort()
    writeFileSync(
      join(etc, 'gateway.yaml'),
      [
        'version: 1',
        `mqtt: { listeners: [{ host: 127.0.0.1, port: ${mqttPort} }] }`,
        `influx: { url: "${inject('influxUrl')}", flushInterval: 100ms }`,
        `http: { host: 127.0.0.1, port: ${httpPort} }`,
        'catalog: ./devices',
        'rules: ./rules',
        'log: { level: warn }',
        '',
      ].join('\n'),
    )
    // The env file is where secrets go; here it names the database, so the test sees it was read.
    const database = uniqueDatabase()
    writeFileSync(join(etc, 'tidegate.env'), `TIDEGATE_INFLUX__DATABASE=${database}\n`)

    const env: Record<string, string> = { PATH: process.env['PATH'] ?? '' }
    for (const file of unit.get('EnvironmentFile') ?? []) {
      const path = moved(file.replace(/^-/, ''))
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        const eq = line.indexOf('=')
        if (eq > 0 && !line.startsWith('#')) env[line.slice(0, eq)] = line.slice(eq + 1)
      }
    }
    for (const assignment of unit.get('Environment') ?? []) {
      const eq = assignment.indexOf('=')
      env[assignment.slice(0, eq)] = moved(assignment.slice(eq + 1))
    }
    const [node = '', ...args] = (unit.get('ExecStart')?.[0] ?? '').split(' ').map(moved)
    const child: ChildProcess = spawn(node, args, {
      cwd: moved(unit.get('WorkingDirectory')?.[0] ?? ''),
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
    cleanup.push(() => {
      if (child.pid && child.exitCode === null) process.kill(child.pid, 'SIGKILL')
    })

    const until = Date.now() + 20_000
    let ready = 0
    while (Date.now() < until && ready !== 200) {
      if (child.exitCode !== null) throw new Error(`gateway exited ${child.exitCode}: ${stderr}`)
      ready = await fetch(`http://127.0.0.1:${httpPort}/readyz`).then(
        (r) => r.status,
        () => 0,
      )
      if (ready !== 200) await new Promise((r) => setTimeout(r, 100))
    }
    expect(ready).toBe(200)

    const device = await connectClient(`mqtt://127.0.0.1:${mqttPort}`)
    await device.publishAsync('devices/unit-dev/telemetry', '{"temperature":19.5}', { qos: 1 })
    await device.endAsync()
    const influx = new InfluxHttpClient({ url: inject('influxUrl'), database, timeoutMs: 5000 })
    const { rows } = await queryUntil(influx, 'SELECT temperature FROM climate', (r) => r.length === 1)
    expect(rows).toHaveLength(1)

    if (child.pid) process.kill(child.pid, 'SIGTERM')
    expect(await exited).toBe(0)
    // State went to the StateDirectory (TIDEGATE_DATADIR), not to the working directory.
    expect(readdirSync(state).length).toBeGreaterThan(0)
    expect(readdirSync(etc).sort()).toEqual(['devices', 'gateway.yaml', 'rules', 'tidegate.env'])
  })

  it('runs node with the same V8 flags as `npm start` (docs/footprint.md says why)', () => {
    const unit = serviceSection(readFileSync(join(ROOT, 'config/tidegate.service'), 'utf8'))
    /** The node flags of a command line: the options between `node` and the script. */
    const flags = (command: string) => {
      const words = command.split(/\s+/)
      const node = words.findIndex((w) => w === 'node' || w.endsWith('/node'))
      const script = words.findIndex((w, i) => i > node && !w.startsWith('--'))
      return words.slice(node + 1, script)
    }
    const start = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }
    ).scripts.start
    const unitFlags = flags(unit.get('ExecStart')?.[0] ?? '')
    expect(unitFlags).toContain('--max-old-space-size=128')
    expect(unitFlags).toContain('--v8-pool-size=1')
    expect(flags(start)).toEqual(unitFlags)
  })
})
