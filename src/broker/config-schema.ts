import { type Static, Type } from '@sinclair/typebox'
import { Duration } from '../core/duration.js'

/**
 * The `mqtt` config section: listeners, authentication, ACL roles and the limits that keep one client
 * from hurting the others. docs/security.md and docs/mqtt-limits.md describe every key.
 */

export const ListenerSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('tcp'), Type.Literal('tls'), Type.Literal('ws')], {
      default: 'tcp',
      description: 'tcp (mqtt://), tls (mqtts://) or ws (WebSocket, ws://host:port/path)',
    }),
    host: Type.String({ default: '127.0.0.1', description: 'address to bind; 0.0.0.0 for all interfaces' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 1883, description: '0 picks a free port' }),
    cert: Type.Optional(Type.String({ description: 'tls: PEM certificate chain file' })),
    key: Type.Optional(Type.String({ description: 'tls: PEM private key file' })),
    ca: Type.Optional(Type.String({ description: 'tls: PEM CA file that signs client certificates' })),
    clientCert: Type.Union([Type.Literal('none'), Type.Literal('optional'), Type.Literal('required')], {
      default: 'none',
      description: 'tls: ask for client certificates; a valid one authenticates as its CN',
    }),
    path: Type.String({ default: '/mqtt', description: 'ws: URL path of the WebSocket endpoint' }),
  },
  { additionalProperties: false },
)

export const UserSchema = Type.Object(
  {
    username: Type.String({ minLength: 1, description: 'for role device: the device id' }),
    passwordHash: Type.String({ pattern: '^\\$scrypt\\$', description: 'output of `tidegate passwd`' }),
    role: Type.String({ default: 'device', description: 'a role of mqtt.acl.roles (or a built-in one)' }),
  },
  { additionalProperties: false },
)

export const AuthSchema = Type.Object(
  {
    anonymous: Type.Union([Type.Literal('loopback'), Type.Literal('always'), Type.Literal('never')], {
      default: 'loopback',
      description: 'who may connect without credentials: only loopback clients, anyone, or nobody',
    }),
    anonymousRole: Type.String({ default: 'anonymous' }),
    certRole: Type.String({
      default: 'device',
      description: 'role of a client authenticated by its certificate',
    }),
    users: Type.Array(UserSchema, { default: [] }),
    failedLoginsPerMinute: Type.Integer({
      minimum: 1,
      default: 10,
      description:
        'failed logins allowed per client address per minute; beyond it logins are refused unchecked',
    }),
  },
  { additionalProperties: false, default: {} },
)

export const RoleSchema = Type.Object(
  {
    publish: Type.Array(Type.String(), {
      default: [],
      description: 'topic patterns; %c client id, %u username',
    }),
    subscribe: Type.Array(Type.String(), { default: [] }),
  },
  { additionalProperties: false },
)

export const AclSchema = Type.Object(
  {
    roles: Type.Record(Type.String(), RoleSchema, {
      default: {},
      description: 'replace or add roles; built-ins: device, operator, anonymous',
    }),
  },
  { additionalProperties: false, default: {} },
)

export const PublishRateSchema = Type.Object(
  {
    perSecond: Type.Number({
      minimum: 0,
      default: 5000,
      description: 'publishes per second per client; 0 switches the limit off',
    }),
    burst: Type.Integer({ minimum: 1, default: 10_000 }),
    onExceed: Type.Union([Type.Literal('backpressure'), Type.Literal('drop'), Type.Literal('disconnect')], {
      default: 'backpressure',
      description:
        'backpressure: stop reading the client until its bucket refills (nothing lost); drop: drop QoS 0 over the rate (QoS 1/2 waits as under backpressure, never acknowledged then dropped); disconnect',
    }),
    exemptRoles: Type.Array(Type.String(), {
      default: [],
      description: 'roles with no publish rate limit (e.g. an aggregator or service role)',
    }),
  },
  { additionalProperties: false, default: {} },
)

export const MqttSchema = Type.Object(
  {
    // Secure by default: loopback only unless the config names other listeners.
    listeners: Type.Array(ListenerSchema, { default: [{ host: '127.0.0.1', port: 1883 }], minItems: 1 }),
    auth: AuthSchema,
    acl: AclSchema,
    maxPacketBytes: Type.Integer({
      minimum: 1024,
      maximum: 268_435_455,
      default: 262_144,
      description: 'largest MQTT packet accepted; checked on the fixed header before anything is buffered',
    }),
    maxPacketsInFlight: Type.Integer({
      minimum: 64,
      default: 2048,
      description:
        'parsed packets held before they are handled, across all connections; past it sockets wait (back-pressure)',
    }),
    connectTimeout: Duration({ default: '30s' }),
    maxConnections: Type.Integer({ minimum: 1, default: 1000 }),
    maxClientIdLength: Type.Integer({ minimum: 1, maximum: 65535, default: 128 }),
    maxTopicLength: Type.Integer({ minimum: 1, maximum: 65535, default: 1024, description: 'bytes' }),
    maxTopicLevels: Type.Integer({ minimum: 1, maximum: 100, default: 32 }),
    keepaliveMin: Type.Integer({
      minimum: 0,
      maximum: 65535,
      default: 0,
      description: 'seconds; >0 refuses keepalive 0',
    }),
    keepaliveMax: Type.Integer({ minimum: 1, maximum: 65535, default: 65535, description: 'seconds' }),
    publishRate: PublishRateSchema,
    maxInflightQos2: Type.Integer({
      minimum: 1,
      default: 100,
      description: 'QoS 2 publishes awaiting PUBREL',
    }),
    slowSubscriberTimeout: Duration({
      default: '10s',
      description: 'a subscriber whose socket does not drain in this time is disconnected',
    }),
    maxSessions: Type.Integer({ minimum: 0, default: 10_000, description: 'persistent (clean=0) sessions' }),
    sessionExpiry: Duration({
      default: '7d',
      description: 'offline persistent sessions older than this are removed',
    }),
    maxOfflineQueue: Type.Integer({
      minimum: 0,
      default: 1000,
      description: 'QoS>0 messages queued per offline session',
    }),
    maxRetained: Type.Integer({ minimum: 0, default: 10_000, description: 'retained topics' }),
    retainedExpiry: Duration({
      default: 0,
      description: 'retained messages older than this are removed; 0 keeps them',
    }),
    refusalLogPerMinute: Type.Integer({
      minimum: 0,
      default: 20,
      description: 'log lines per refusal reason per minute',
    }),
  },
  { additionalProperties: false, default: {} },
)

export type MqttConfig = Static<typeof MqttSchema>
export type ListenerConfig = Static<typeof ListenerSchema>
export type RoleConfig = Static<typeof RoleSchema>
