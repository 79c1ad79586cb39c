import { accessSync, constants } from 'node:fs'
import { resolve } from 'node:path'
import { type ConfigProblem, locateConfigProblems } from '../config/locate-problems.js'
import type { GatewayConfig } from '../config/schema.js'
import type { FileError } from '../core/file-errors.js'
import { Acl } from './acl.js'
import type { MqttConfig } from './config-schema.js'
import { parseHash } from './passwords.js'

export type MqttProblem = ConfigProblem

/** What the `mqtt` schema cannot say alone: roles that exist, hashes that parse, TLS files present. */
export function mqttConfigProblems(mqtt: MqttConfig, baseDir: string): MqttProblem[] {
  const problems: MqttProblem[] = []
  const acl = new Acl(mqtt.acl.roles)
  const roles = () => ['device', 'operator', 'anonymous', ...Object.keys(mqtt.acl.roles)].join(', ')
  const seen = new Set<string>()
  mqtt.auth.users.forEach((user, i) => {
    if (seen.has(user.username))
      problems.push({
        code: 'TG_CONFIG_DUPLICATE',
        path: ['auth', 'users', i, 'username'],
        message: `duplicate username "${user.username}"`,
      })
    seen.add(user.username)
    if (!acl.hasRole(user.role))
      problems.push({
        code: 'TG_CONFIG_UNKNOWN_NAME',
        path: ['auth', 'users', i, 'role'],
        message: `unknown role "${user.role}" (roles: ${roles()})`,
      })
    // Never echo the hash itself: it is a secret too.
    if (!parseHash(user.passwordHash))
      problems.push({
        code: 'TG_CONFIG_INVALID',
        path: ['auth', 'users', i, 'passwordHash'],
        message: 'not a hash from `tidegate passwd`',
      })
  })
  for (const key of ['anonymousRole', 'certRole'] as const) {
    const role = mqtt.auth[key]
    if (!acl.hasRole(role))
      problems.push({
        code: 'TG_CONFIG_UNKNOWN_NAME',
        path: ['auth', key],
        message: `unknown role "${role}" (roles: ${roles()})`,
      })
  }
  mqtt.publishRate.exemptRoles.forEach((role, i) => {
    if (!acl.hasRole(role))
      problems.push({
        code: 'TG_CONFIG_UNKNOWN_NAME',
        path: ['publishRate', 'exemptRoles', i],
        message: `unknown role "${role}" (roles: ${roles()})`,
      })
  })
  mqtt.listeners.forEach((listener, i) => {
    if (listener.type !== 'tls') return
    for (const key of ['cert', 'key'] as const)
      if (!listener[key])
        problems.push({
          code: 'TG_CONFIG_CONFLICT',
          path: ['listeners', i],
          message: `a tls listener needs ${key}`,
        })
    for (const key of ['cert', 'key', 'ca'] as const) {
      const file = listener[key]
      if (!file) continue
      try {
        accessSync(resolve(baseDir, file), constants.R_OK)
      } catch {
        problems.push({
          code: 'TG_CONFIG_FILE_UNREADABLE',
          path: ['listeners', i, key],
          message: `cannot read ${file}`,
        })
      }
    }
    if (listener.clientCert !== 'none' && !listener.ca)
      problems.push({
        code: 'TG_CONFIG_CONFLICT',
        path: ['listeners', i, 'ca'],
        message: 'client certificates need the ca that signs them',
      })
  })
  if (mqtt.keepaliveMin > mqtt.keepaliveMax)
    problems.push({
      code: 'TG_CONFIG_CONFLICT',
      path: ['keepaliveMin'],
      message: 'keepaliveMin is above keepaliveMax',
    })
  return problems
}

/** `tidegate check`: the mqtt problems, located in the config file when it is given. */
export function mqttConfigChecker(
  config: Readonly<GatewayConfig>,
  baseDir: string,
  configFile?: string,
): FileError[] {
  return locateConfigProblems('mqtt', mqttConfigProblems(config.mqtt, baseDir), configFile)
}
