import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type RestartableServer, startRestartable } from './child-server.js'
import { freePort } from './free-port.js'

export interface MosquittoTls {
  /** PEM paths. */
  ca: string
  cert: string
  key: string
  /** Ask clients for a certificate signed by `ca` (mutual TLS). */
  requireClientCert?: boolean
}

export type Mosquitto = RestartableServer

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
  return startRestartable({
    name: 'mosquitto',
    port,
    url: `${o.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    dir,
    spawnServer: () => spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] }),
  })
}
