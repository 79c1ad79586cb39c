import type { Client } from 'aedes'
import type { Acl, Grant } from './acl.js'
import type { MqttConfig } from './config-schema.js'
import { FailedLogins } from './failed-logins.js'
import type { ConnectionInfo } from './guarded-connection.js'
import { hashPassword, verifyPassword } from './passwords.js'
import type { Refusals } from './refusals.js'

type AuthCallback = (err: (Error & { returnCode?: number }) | null, success: boolean | null) => void

/** CONNACK return codes of MQTT 3.1.1 [MQTT-3.2.2.3]. */
const BAD_USERNAME_OR_PASSWORD = 4
const NOT_AUTHORIZED = 5

function refusal(message: string, returnCode: number): Error & { returnCode: number } {
  return Object.assign(new Error(message), { returnCode })
}

/**
 * The broker's authenticate hook: a verified client certificate (its CN), a username with a password
 * checked against an scrypt hash, or anonymous where `mqtt.auth.anonymous` allows it. Each client gets
 * a Grant (its role's topic patterns) the ACL reads afterwards. Failed logins are counted per address
 * and, past `failedLoginsPerMinute`, refused without running scrypt (which also bounds the CPU a
 * password-guessing client can burn).
 */
export class Authenticator {
  private readonly grants = new WeakMap<Client, Grant>()
  private readonly failures: FailedLogins
  private readonly users: Map<string, MqttConfig['auth']['users'][number]>
  /** Compared against when the username is unknown, so unknown and known users cost the same. */
  private decoyHash = ''

  constructor(
    private readonly config: MqttConfig['auth'],
    private readonly acl: Acl,
    private readonly refusals: Refusals,
    private readonly infoOf: (client: Client) => ConnectionInfo | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.users = new Map(config.users.map((u) => [u.username, u]))
    this.failures = new FailedLogins(config.failedLoginsPerMinute, now)
  }

  async start(): Promise<void> {
    if (this.config.users.length) this.decoyHash = await hashPassword('decoy')
  }

  grantOf(client: Client | null): Grant | undefined {
    return client ? this.grants.get(client) : undefined
  }

  readonly authenticate = (
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    callback: AuthCallback,
  ): void => {
    this.check(client, username, password).then(
      (grant) => {
        if (grant) this.grants.set(client, grant)
        callback(grant ? null : refusal('not authorized', NOT_AUTHORIZED), grant !== null)
      },
      (err: unknown) => {
        const code = (err as { returnCode?: number }).returnCode ?? NOT_AUTHORIZED
        callback(refusal((err as Error).message, code), false)
      },
    )
  }

  private async check(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<Grant | null> {
    const info = this.infoOf(client)
    if (!info) return null
    const detail = { address: info.address, listener: info.listener, clientId: client.id }
    if (info.certCommonName !== undefined) {
      // Like Mosquitto's use_identity_as_username: the certificate names the client, not the username field.
      const role = this.users.get(info.certCommonName)?.role ?? this.config.certRole
      return this.acl.grant(role, client.id, info.certCommonName)
    }
    if (username === undefined) {
      const allowed =
        this.config.anonymous === 'always' || (this.config.anonymous === 'loopback' && info.loopback)
      if (allowed) return this.acl.grant(this.config.anonymousRole, client.id, undefined)
      this.refusals.refuse('anonymous_denied', detail)
      throw refusal('anonymous access not allowed', NOT_AUTHORIZED)
    }
    if (this.failures.blocked(info.address)) {
      this.refusals.refuse('auth_rate_limited', { ...detail, username })
      throw refusal('too many failed logins', NOT_AUTHORIZED)
    }
    const user = this.users.get(username)
    const ok = await verifyPassword(password ?? Buffer.alloc(0), user?.passwordHash ?? this.decoyHash)
    if (user && ok && password !== undefined) return this.acl.grant(user.role, client.id, username)
    this.failures.record(info.address)
    this.refusals.refuse('auth_failed', { ...detail, username })
    throw refusal('bad user name or password', BAD_USERNAME_OR_PASSWORD)
  }
}
