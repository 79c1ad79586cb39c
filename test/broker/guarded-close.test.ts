import { Duplex } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { GuardedConnection } from '../../src/broker/guarded-connection.js'
import { connectPacket, GUARD_LIMITS, LOOPBACK_INFO, rawPublish } from './raw-client.js'

const LIMITS = GUARD_LIMITS
const INFO = LOOPBACK_INFO

/** A transport the test drives: what it pushes is what the peer sent. */
function transport(): Duplex {
  return new Duplex({ read() {}, write: (_c, _e, cb) => cb() })
}

function readAll(stream: Duplex): Promise<Buffer> {
  const parts: Buffer[] = []
  return new Promise((resolve, reject) => {
    stream.on('data', (c: Buffer) => parts.push(c))
    stream.once('end', () => resolve(Buffer.concat(parts)))
    stream.once('error', reject)
  })
}

describe('the guarded connection when the peer closes', () => {
  it('after a clean end, data Aedes has not read yet still reaches it (then end)', async () => {
    const inner = transport()
    const guarded = new GuardedConnection(inner, INFO, LIMITS, () => {})
    const connect = connectPacket()
    const publishes = Array.from({ length: 50 }, (_, i) =>
      rawPublish(Buffer.from('devices/d/telemetry'), Buffer.from(`{"seq":${i}}`)),
    )
    // The peer sends, then FIN, then the socket closes, all before the consumer reads a byte.
    inner.push(Buffer.concat([connect, ...publishes]))
    inner.push(null)
    await new Promise((r) => inner.once('end', r).resume())
    inner.destroy()
    await new Promise((r) => setImmediate(r))
    expect(guarded.destroyed).toBe(false)
    expect(await readAll(guarded)).toEqual(Buffer.concat([connect, ...publishes]))
  })

  it('an abrupt close (no end) destroys it at once', async () => {
    const inner = transport()
    const guarded = new GuardedConnection(inner, INFO, LIMITS, () => {})
    inner.push(connectPacket())
    inner.destroy()
    await new Promise((r) => setImmediate(r))
    expect(guarded.destroyed).toBe(true)
  })
})
