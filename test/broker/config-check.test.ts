import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { mqttConfigChecker } from '../../src/broker/config-check.js'
import { loadConfig } from '../../src/config/load.js'
import { formatFileError } from '../../src/core/file-errors.js'
import { startBroker } from './raw-client.js'

let dir = ''
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = ''
})

const HASH = '$scrypt$N=1024,r=8,p=1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA=='

describe('mqtt config checks (tidegate check)', () => {
  it('reports unknown roles, duplicate users, bad hashes and missing TLS files at file:line:col', () => {
    dir = mkdtempSync(join(tmpdir(), 'tidegate-check-'))
    const file = join(dir, 'gateway.yaml')
    writeFileSync(
      file,
      `version: 1
mqtt:
  listeners:
    - { type: tls, port: 8883, cert: missing.crt, key: missing.key, clientCert: optional }
  auth:
    anonymousRole: nobody
    users:
      - { username: dev-1, passwordHash: "${HASH}", role: devise }
      - { username: dev-1, passwordHash: "$scrypt$broken" }
  publishRate: { exemptRoles: [agregator] }
`,
    )
    const { config } = loadConfig(file, {})
    const lines = mqttConfigChecker(config, dir, file).map(formatFileError)
    expect(lines).toEqual([
      `${file}:8:112 TG_CONFIG_UNKNOWN_NAME /mqtt/auth/users/0/role: unknown role "devise" (roles: device, operator, anonymous)`,
      `${file}:9:21 TG_CONFIG_DUPLICATE /mqtt/auth/users/1/username: duplicate username "dev-1"`,
      `${file}:9:42 TG_CONFIG_INVALID /mqtt/auth/users/1/passwordHash: not a hash from \`tidegate passwd\``,
      `${file}:6:20 TG_CONFIG_UNKNOWN_NAME /mqtt/auth/anonymousRole: unknown role "nobody" (roles: device, operator, anonymous)`,
      `${file}:10:32 TG_CONFIG_UNKNOWN_NAME /mqtt/publishRate/exemptRoles/0: unknown role "agregator" (roles: device, operator, anonymous)`,
      `${file}:4:38 TG_CONFIG_FILE_UNREADABLE /mqtt/listeners/0/cert: cannot read missing.crt`,
      `${file}:4:56 TG_CONFIG_FILE_UNREADABLE /mqtt/listeners/0/key: cannot read missing.key`,
      `${file}:4:7 TG_CONFIG_CONFLICT /mqtt/listeners/0/ca: client certificates need the ca that signs them`,
    ])
  })

  it('the broker refuses to start with such a config instead of running a broken policy', async () => {
    await expect(startBroker({ auth: { anonymousRole: 'nobody' } })).rejects.toThrow(/unknown role "nobody"/)
  })
})
