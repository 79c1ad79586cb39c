import { type Static, Type } from '@sinclair/typebox'
import { outboxBufferSchema } from '../outbox/config-schema.js'

/** A forwarded filter: the filter alone (QoS 1, store-and-forward) or with its QoS. */
const ForwardEntry = Type.Union([
  Type.String({ minLength: 1 }),
  Type.Object(
    {
      filter: Type.String({ minLength: 1 }),
      qos: Type.Union([Type.Literal(0), Type.Literal(1)], {
        default: 1,
        description: '1: stored in the outbox until the upstream PUBACK; 0: sent only while connected',
      }),
    },
    { additionalProperties: false },
  ),
])

/** `upstream`: store-and-forward to a central MQTT broker (docs/upstream.md). */
export const UpstreamSchema = Type.Object(
  {
    url: Type.String({
      pattern: '^(mqtt|mqtts|ws|wss)://',
      description: 'the central broker: mqtt://, mqtts://, ws:// or wss://',
    }),
    clientId: Type.Optional(Type.String({ minLength: 1, description: 'default: the host name' })),
    username: Type.Optional(Type.String({ minLength: 1 })),
    password: Type.Optional(Type.String()),
    passwordFile: Type.Optional(
      Type.String({ minLength: 1, description: 'read the password from this file' }),
    ),
    ca: Type.Optional(Type.String({ minLength: 1, description: 'PEM file of the CA that signs the broker' })),
    cert: Type.Optional(Type.String({ minLength: 1, description: 'PEM client certificate (mutual TLS)' })),
    key: Type.Optional(Type.String({ minLength: 1, description: 'PEM key of the client certificate' })),
    protocolVersion: Type.Union([Type.Literal(4), Type.Literal(5)], {
      default: 4,
      description: '4: MQTT 3.1.1; 5: MQTT 5',
    }),
    prefix: Type.String({
      default: '',
      description: "remote topic = prefix + '/' + local topic ('' = the same topic)",
    }),
    forward: Type.Array(ForwardEntry, {
      default: [],
      description: 'local filters sent upstream ({filter, qos} for QoS 0)',
    }),
    receive: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: 'remote filters, under the prefix, delivered locally (commands via the dispatcher)',
    }),
    buffer: outboxBufferSchema({
      maxBytes: '64MiB',
      durable:
        'true: the LMDB outbox under <dataDir>/upstream (survives restarts and kill -9); false: memory only',
      bound: 'bound of the stored messages; when full the oldest go first (alerts last), counted',
      commit:
        'group commit: messages forwarded within this interval share one disk sync (when a QoS 1 PUBACK waits for them, and alerts)',
      unackedCommit:
        'group commit of forwarded messages no acknowledgement waits for (QoS 0): a crash loses at most this window of them',
    }),
  },
  { additionalProperties: false },
)

export type UpstreamConfig = Static<typeof UpstreamSchema>
