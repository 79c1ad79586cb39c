import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestCa {
  dir: string
  ca: string
  serverCert: string
  serverKey: string
  clientCert: string
  clientKey: string
  remove(): void
}

/** A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl now. */
export function makeTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'tidegate-ca-'))
  const p = (name: string) => join(dir, name)
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=tidegate test CA',
    '-keyout',
    p('ca.key'),
    '-out',
    p('ca.pem'),
  )
  writeFileSync(p('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
  for (const [name, cn] of [
    ['server', '127.0.0.1'],
    ['client', 'greenhouse-1'],
  ] as const) {
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${cn}`,
      '-keyout',
      p(`${name}.key`),
      '-out',
      p(`${name}.csr`),
    )
    const ext = name === 'server' ? ['-extfile', p('server.ext')] : []
    ssl(
      'x509',
      '-req',
      '-in',
      p(`${name}.csr`),
      '-CA',
      p('ca.pem'),
      '-CAkey',
      p('ca.key'),
      '-CAcreateserial',
      '-days',
      '1',
      '-out',
      p(`${name}.pem`),
      ...ext,
    )
  }
  return {
    dir,
    ca: p('ca.pem'),
    serverCert: p('server.pem'),
    serverKey: p('server.key'),
    clientCert: p('client.pem'),
    clientKey: p('client.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}
