import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { portListening, stopChild } from './child-server.js'
import { freePort } from './free-port.js'

export interface MosquittoTls {
  /** PEM paths. */
  ca: string
  cert: string
  key: string
  /** Ask clients for a certificate signed by `ca` (mutual TLS). */
  requireClientCert?: boolean
}

export interface Mosquitto {
  port: number
  url: string
  pid: number
  /** Stops it by pid (SIGTERM, then SIGKILL); the port stays known so start() can bring it back. */
  stop(): Promise<void>
  /** Starts it again on the same port (after stop(): an outage). */
  start(): Promise<void>
  /** Stops it and removes its temp folder. */
  dispose(): Promise<void>
}

const MOSQUITTO = '/usr/sbin/mosquitto'

/**
 * A real Debian mosquitto on a free port of 127.0.0.1 with a temp config (anonymous; persistence in its
 * temp folder, so a collector's clean=false session and its queue survive a stop/start outage).
 * Stopped by pid, never by name.
 */
export async function startMosquitto(o: { tls?: MosquittoTls } = {}): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'tidegate-mosquitto-'))
  const port = await freePort()
  const lines = [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence true',
    `persistence_location ${dir}/`,
    'max_queued_messages 1000000',
    'max_inflight_messages 0',
  ]
  // As root, mosquitto drops to the `mosquitto` user, which cannot read our 0700 temp folders.
  if (process.getuid?.() === 0) lines.push('user root')
  if (o.tls) {
    lines.push(`cafile ${o.tls.ca}`, `certfile ${o.tls.cert}`, `keyfile ${o.tls.key}`)
    if (o.tls.requireClientCert) lines.push('require_certificate true')
  }
  const conf = join(dir, 'mosquitto.conf')
  writeFileSync(conf, `${lines.join('\n')}\n`)
  let child: ChildProcess | null = null
  let stderr = ''
  const start = async () => {
    const c = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] })
    child = c
    c.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000)
    })
    const until = Date.now() + 10_000
    while (!(await portListening(port))) {
      if (c.exitCode !== null || Date.now() > until) throw new Error(`mosquitto did not start: ${stderr}`)
      await new Promise((r) => setTimeout(r, 30))
    }
  }
  const stop = async () => {
    const c = child
    child = null
    await stopChild(c)
  }
  await start()
  return {
    port,
    url: `${o.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    get pid() {
      return child?.pid ?? -1
    },
    stop,
    start,
    async dispose() {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
