import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { InfluxHttpClient } from '../../../src/sinks/influx/http-client.js'
import { type InfluxdHandle, startInfluxd } from '../../helpers/influxd.js'

const servers: InfluxdHandle[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) {
    process.kill(s.pid, 'SIGCONT') // a stopped process does not act on SIGTERM
    await s.stop()
  }
})

async function count(client: InfluxHttpClient): Promise<number> {
  const r = (await client.query('SELECT count(v) FROM m')) as {
    results: { series?: { values: [string, number][] }[] }[]
  }
  return r.results[0]?.series?.[0]?.values[0]?.[1] ?? 0
}

describe('InfluxHttpClient.write against a real influxd', () => {
  it('a write to an InfluxDB that stopped answering fails after timeoutMs; the next one, once it answers, lands', async () => {
    const influxd = await startInfluxd()
    servers.push(influxd)
    const client = new InfluxHttpClient({ url: influxd.url, database: 'hung', timeoutMs: 400 })
    await client.createDatabase()
    expect(await client.write('m v=1 1000')).toEqual({ status: 204 }) // the kept-alive connection is now open

    process.kill(influxd.pid, 'SIGSTOP') // accepts nothing, answers nothing: a hung server, not a closed port
    const started = Date.now()
    await expect(client.write('m v=2 2000')).rejects.toThrow(/abort|timeout/i)
    const took = Date.now() - started
    expect(took).toBeGreaterThanOrEqual(350)
    expect(took).toBeLessThan(3000)

    process.kill(influxd.pid, 'SIGCONT')
    expect(await client.write('m v=3 3000')).toEqual({ status: 204 })
    await expect.poll(() => count(client), { timeout: 5000 }).toBeGreaterThanOrEqual(2)
  }, 30_000)

  it("InfluxDB's refusal comes back with its status and message, not as a thrown error", async () => {
    const influxd = await startInfluxd()
    servers.push(influxd)
    const client = new InfluxHttpClient({ url: influxd.url, database: 'refusals', timeoutMs: 5000 })
    await client.createDatabase()
    const result = await client.write('m v=1 1000\nthis is not line protocol')
    expect(result.status).toBe(400)
    expect(result.error).toMatch(/unable to parse/)
    const missing = new InfluxHttpClient({ url: influxd.url, database: 'no_such_db', timeoutMs: 5000 })
    expect(await missing.write('m v=1 1000')).toMatchObject({
      status: 404,
      error: expect.stringMatching(/database not found/),
    })
  }, 30_000)

  it('writes over https to an InfluxDB whose certificate the process trusts, and refuses one it does not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidegate-influx-tls-'))
    try {
      const certificate = join(dir, 'cert.pem')
      const privateKey = join(dir, 'key.pem')
      // A self-signed certificate for 127.0.0.1: trusted only where NODE_EXTRA_CA_CERTS names it.
      const subject = ['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']
      const files = ['-keyout', privateKey, '-out', certificate]
      const openssl = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', ...subject, ...files]
      execFileSync('openssl', openssl, { stdio: 'ignore' })
      const influxd = await startInfluxd({ tls: { certificate, privateKey } })
      servers.push(influxd)
      expect(influxd.url).toMatch(/^https:/)
      const child = new URL('./https-write-child.ts', import.meta.url).pathname
      const run = (env: NodeJS.ProcessEnv, database: string) =>
        JSON.parse(
          execFileSync(process.execPath, ['--import', 'tsx', child, influxd.url, database], {
            env: { ...process.env, ...env },
            encoding: 'utf8',
          }),
        ) as { first?: number; second?: number; count?: number; error?: string }

      // The write path verifies the certificate: an unknown issuer is an error, not a silent write.
      const untrusted = run({ NODE_EXTRA_CA_CERTS: '' }, 'tls_untrusted')
      expect(untrusted.error).toMatch(/self[- ]signed|SELF_SIGNED|unable to verify/i)

      // Trusted (an operator's private CA goes the same way): InfluxDB answers over TLS, the point lands.
      expect(run({ NODE_EXTRA_CA_CERTS: certificate }, 'tls_trusted')).toEqual({
        first: 404,
        second: 204,
        count: 1,
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)

  it('a malformed url fails the write with the reason, not the constructor', async () => {
    const client = new InfluxHttpClient({ url: 'not a url', database: 'x', timeoutMs: 1000 })
    await expect(client.write('m v=1 1')).rejects.toThrow(/Invalid URL/)
  })
})
