import { connect, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { Listeners } from '../../src/broker/listeners.js'
import { Refusals } from '../../src/broker/refusals.js'
import { useCleanup } from '../helpers/cleanup.js'

const cleanup = useCleanup()

/** Node records setNoDelay on the socket under this symbol; there is no public getter. */
function noDelayOf(socket: Socket): unknown {
  const key = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'kSetNoDelay')
  return key ? (socket as unknown as Record<symbol, unknown>)[key] : undefined
}

describe('broker listeners', () => {
  it('accepted TCP sockets have TCP_NODELAY (no Nagle delay on small MQTT packets)', async () => {
    const accepted: Duplex[] = []
    const listeners = new Listeners(
      [{ type: 'tcp', host: '127.0.0.1', port: 0, clientCert: 'none', path: '/mqtt' }],
      { maxConnections: 10, maxPacketBytes: 1024, connectTimeoutMs: 1000 },
      new Refusals(pino({ level: 'silent' }), 0),
      (transport) => accepted.push(transport),
    )
    await listeners.start()
    cleanup.push(() => listeners.stop())
    const client = connect(listeners.listeners[0]?.port ?? 0, '127.0.0.1')
    cleanup.push(() => client.destroy())
    while (accepted.length === 0) await new Promise((r) => setTimeout(r, 5))
    const socket = accepted[0]
    expect(socket).toBeInstanceOf(Socket)
    expect(noDelayOf(socket as Socket)).toBe(true)
  })
})
