import type { EventEmitter } from 'node:events'
import type { Readable } from 'node:stream'
import { setImmediate } from 'node:timers'
import {
  emitLeadingPublishes,
  type MqttPacketParser,
  parserIsBetweenPackets,
  wholePacketEnd,
} from './publish-parse.js'
import type { ReadAdmission } from './read-admission.js'

/** The parts of an Aedes client (lib/client.js, aedes 1.x) that its read loop is made of. */
export interface AedesReadLoop {
  /** Parsed packets not yet handled; Aedes' packet handler increments it for each packet it parses. */
  _parsingBatch: number
  _paused: boolean
  /** The callback each handled packet calls (and `resume()`, and Aedes' own 'readable' listener). */
  _nextBatch: (err?: Error | null) => void
  _parser: Pick<EventEmitter, 'listeners' | 'on' | 'removeListener'> & MqttPacketParser
  resume(): void
  emit(event: 'error', err: Error): boolean
}

/**
 * The most bytes one read hands to the parser: ~25 readings of 150 bytes. A connection has at most
 * this much parsed and not yet handled, however far behind it is.
 */
export const PIECE_BYTES = 4096

/**
 * Pieces one connection may parse in a row when each was handled at once (or held only part of a
 * packet); after that it yields to the other connections and goes on in the next turn of the loop.
 */
const PIECES_PER_TURN = 16

/**
 * Replaces the read loop of one Aedes client so that it has at most one piece of PIECE_BYTES in flight, and
 * reads only while `admission` has room for more packets across the whole broker.
 *
 * Aedes parses everything one read returns into packets at once and reads again when they are all
 * handled, but its 'readable' listener also counts as a handled packet. A connection that keeps sending
 * while the gateway is behind therefore gets read again and again before its packets are handled, and its
 * reads grow with the backlog (64 KiB, ~500 packets): with 1000 such connections the heap filled with
 * parsed packets and V8 stopped (docs/footprint.md). Here a connection reads only when nothing of it is in
 * flight, one bounded piece at a time, and never from inside its parser's loop (a packet handled
 * synchronously calls back while the parser is still walking the last piece, and a nested parse would
 * corrupt it). Unread bytes stay in the stream, then in the kernel, and TCP slows the sender:
 * back-pressure instead of memory.
 */
export function readOnePieceAtATime(client: AedesReadLoop, conn: Readable, admission: ReadAdmission): void {
  // Aedes' read loop is internal (the lockfile pins aedes 1.2.0 and mqtt-packet 9.0.2): fail loudly on the
  // first connection if another version shaped it differently, rather than read without bounds.
  if (
    typeof client._nextBatch !== 'function' ||
    typeof client._parsingBatch !== 'number' ||
    conn.listeners('readable').length !== 1 ||
    client._parser.listeners('packet').length !== 1 ||
    !('_list' in client._parser)
  )
    throw new Error('aedes client internals are not the ones src/broker/bounded-reading.ts replaces')
  conn.removeListener('readable', client._nextBatch)
  // Aedes starts at 1 and lets its first 'readable' count it down; here nothing is in flight yet.
  client._parsingBatch = 0
  // Counted before Aedes' own listener (enqueue) handles the packet, which may complete it at once. One
  // listener wrapping Aedes' rather than a second one: an emit with two listeners copies the listener array.
  const parser = client._parser
  const enqueue = parser.listeners('packet')[0] as (this: unknown, packet: unknown) => void
  parser.removeListener('packet', enqueue)
  parser.on('packet', function countThenEnqueue(this: unknown, packet: unknown) {
    admission.parsed()
    enqueue.call(this, packet)
  })
  let parsing = false
  let yielded = false
  let waiting = false

  /**
   * PUBLISH packets go straight to Aedes (publish-parse.ts); anything else goes through mqtt-packet, one
   * whole packet at a time. A packet cut by the piece's end goes back to the stream for the next piece,
   * so the parser never holds part of a packet and the next piece starts on a packet again.
   */
  const parsePiece = (piece: Buffer): void => {
    if (!parserIsBetweenPackets(parser)) {
      parser.parse(piece)
      return
    }
    let at = 0
    for (;;) {
      at = emitLeadingPublishes(parser, piece, at)
      if (at === piece.length) return
      const end = wholePacketEnd(piece, at)
      if (end === -1) break
      parser.parse(at === 0 && end === piece.length ? piece : piece.subarray(at, end))
      at = end
      if (parser.error !== null) return
    }
    // Nothing whole in the piece (a packet larger than a piece): mqtt-packet gathers it.
    if (at === 0) parser.parse(piece)
    else conn.unshift(piece.subarray(at))
  }

  /** Queues this connection for room to read; it reads again (admitted) when its turn comes. */
  const waitForRoom = (): void => {
    waiting = true
    admission.wait(() => {
      waiting = false
      readWhileIdle(true)
    })
  }

  const readWhileIdle = (admitted = false): void => {
    if (parsing || yielded || waiting) return
    if (!admitted && !admission.open) return waitForRoom()
    parsing = true
    let pieces = 0
    try {
      while (client._parsingBatch === 0 && !client._paused && !conn.destroyed) {
        if (pieces > 0 && !admission.hasRoom) return waitForRoom()
        if (pieces === PIECES_PER_TURN) {
          yielded = true
          setImmediate(() => {
            yielded = false
            readWhileIdle(true)
          })
          return
        }
        const piece = conn.readableLength > PIECE_BYTES ? conn.read(PIECE_BYTES) : conn.read()
        if (piece === null) return
        pieces++
        parsePiece(piece as Buffer)
      }
    } finally {
      parsing = false
    }
  }

  client._nextBatch = (err) => {
    // As in Aedes: an error closes the client, and nothing more is read.
    if (err) {
      client.emit('error', err)
      return
    }
    // Paused (Aedes pauses a client while it authenticates) still counts the packet as handled: only
    // the read waits for resume(), so no handled packet is lost from the count.
    if (client._parsingBatch > 0) {
      client._parsingBatch--
      admission.handled()
    }
    if (client._parsingBatch === 0) readWhileIdle()
  }
  client.resume = () => {
    client._paused = false
    readWhileIdle()
  }
  conn.on('readable', () => readWhileIdle())
  // Packets of a closed connection that were never handled give their room back.
  conn.once('close', () => {
    admission.handled(client._parsingBatch)
    client._parsingBatch = 0
  })
}
