import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { get as httpGet } from 'node:http'
import { get as httpsGet } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './free-port.js'

/** A throwaway InfluxDB 1.x (Debian package `influxdb`) on free ports with a temp data dir. */
export interface InfluxdHandle {
  url: string
  port: number
  pid: number
  dir: string
  /** Stops the process (by pid) and, unless kept, removes its data dir. */
  stop(options?: { keepData?: boolean }): Promise<void>
  /** Starts again on the same port and data (after stop({ keepData: true })). */
  restart(): Promise<void>
}

export interface InfluxdOptions {
  /** `[http] auth-enabled`: every query needs a user (create the first admin with CREATE USER ... WITH ALL PRIVILEGES). */
  auth?: boolean
  /** Run continuous queries (off by default: the suite's influxd only stores), checking every `runInterval`. */
  continuousQueries?: { runInterval: string }
  /** `[http] https-enabled` with this PEM certificate and key: the url is https://, and only https answers. */
  tls?: { certificate: string; privateKey: string }
}

function configText(dir: string, httpPort: number, rpcPort: number, options: InfluxdOptions): string {
  return `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${dir}/meta"
[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  query-log-enabled = false
  wal-fsync-delay = "0s"
[http]
  bind-address = "127.0.0.1:${httpPort}"
  log-enabled = false
  max-body-size = 0
  auth-enabled = ${options.auth === true}
  https-enabled = ${options.tls !== undefined}
  https-certificate = "${options.tls?.certificate ?? ''}"
  https-private-key = "${options.tls?.privateKey ?? ''}"
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = ${options.continuousQueries !== undefined}
  run-interval = "${options.continuousQueries?.runInterval ?? '1s'}"
[logging]
  level = "error"
`
}

/** GET /ping's status; over https the helper trusts the test's own certificate (`ca`), as nothing else does. */
function ping(url: string, ca: Buffer | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = (ca ? httpsGet : httpGet)(`${url}/ping`, ca ? { ca } : {}, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', reject)
  })
}

async function waitForPing(url: string, child: ChildProcess, timeoutMs: number, ca?: Buffer): Promise<void> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`influxd exited with ${child.exitCode}`)
    try {
      if ((await ping(url, ca)) === 204) return
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`influxd did not answer on ${url} within ${timeoutMs} ms`)
}

export async function startInfluxd(options: InfluxdOptions = {}): Promise<InfluxdHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'tidegate-influxd-'))
  const port = await freePort()
  const rpcPort = await freePort()
  const confPath = join(dir, 'influxdb.conf')
  writeFileSync(confPath, configText(dir, port, rpcPort, options))
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`
  const ca = options.tls ? readFileSync(options.tls.certificate) : undefined
  let child: ChildProcess
  const launch = async () => {
    child = spawn('influxd', ['run', '-config', confPath], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000)
    })
    try {
      await waitForPing(url, child, 20_000, ca)
    } catch (err) {
      child.kill('SIGKILL')
      throw new Error(`${(err as Error).message}\n${stderr}`)
    }
  }
  await launch()
  const handle: InfluxdHandle = {
    url,
    port,
    dir,
    get pid() {
      return child.pid ?? -1
    },
    async stop(options = {}) {
      if (child.exitCode === null && child.pid) {
        const exited = new Promise((r) => child.once('exit', r))
        process.kill(child.pid, 'SIGTERM')
        const timer = setTimeout(
          () => child.pid && child.exitCode === null && process.kill(child.pid, 'SIGKILL'),
          5000,
        )
        await exited
        clearTimeout(timer)
      }
      if (!options.keepData) rmSync(dir, { recursive: true, force: true })
    },
    restart: launch,
  }
  return handle
}
