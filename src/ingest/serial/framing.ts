import type { Transform } from 'node:stream'
import { ByteLengthParser } from '@serialport/parser-byte-length'
import { InterByteTimeoutParser } from '@serialport/parser-inter-byte-timeout'
import { PacketLengthParser } from '@serialport/parser-packet-length'
import { SlipDecoder } from '@serialport/parser-slip-encoder'
import { toMs } from '../../core/duration.js'
import type { SerialFraming } from './config-schema.js'

/** Why bytes did not become a frame; each is a per-port counter and a dead-letter error. */
/** SLIP (RFC 1055) frame end. */
const SLIP_END = 0xc0

export type FramingErrorKind = 'oversize' | 'bad_length'

export interface FrameHandler {
  frame(payload: Buffer): void
  /** Bytes thrown away: `raw` holds at most the first maxLength bytes, for the dead letter. */
  discard(kind: FramingErrorKind, raw: Buffer, message: string): void
}

/** Cuts a byte stream into frames. One instance per open port; a reopen starts a fresh one. */
export interface Framer {
  push(chunk: Buffer): void
  /** Drops a partial frame (the port closed mid-frame) and stops timers. */
  close(): void
}

export function createFramer(config: SerialFraming, handler: FrameHandler): Framer {
  switch (config.kind) {
    case 'line':
      return new LineFramer(Buffer.from(config.delimiter, 'utf8'), config.maxLength, handler)
    case 'fixed':
      return new ParserFramer(
        () => new ByteLengthParser({ length: config.length ?? 1 }) as Transform,
        handler,
      )
    case 'length':
      return lengthPrefixed(config, handler)
    case 'slip':
      return new ParserFramer(() => new SlipDecoder(), handler, {
        maxLength: config.maxLength,
        endByte: SLIP_END,
      })
    case 'timeout':
      return new ParserFramer(
        // One byte more than allowed, so a frame that reaches the limit is recognisably over it.
        () =>
          new InterByteTimeoutParser({
            interval: toMs(config.interval),
            maxBufferSize: config.maxLength + 1,
          }),
        handler,
        { maxLength: config.maxLength, restFollowsOversize: true },
      )
  }
}

const isLineEnd = (b: number | undefined) => b === 0x0a || b === 0x0d

/**
 * Line framing with a bounded buffer. `@serialport/parser-delimiter` keeps every byte until the
 * delimiter comes, so a device that never sends one would grow memory without end; here a line
 * longer than maxLength is discarded (counted once) up to and including its terminator.
 */
export class LineFramer implements Framer {
  private parts: Buffer[] = []
  private length = 0
  private discarding = false

  constructor(
    private readonly delimiter: Buffer,
    private readonly maxLength: number,
    private readonly handler: FrameHandler,
  ) {}

  push(chunk: Buffer): void {
    // Keep a tail of the previous bytes so a delimiter split across chunks is still found.
    let data = this.length > 0 ? Buffer.concat([...this.parts, chunk]) : chunk
    let searchFrom = Math.max(0, this.length - this.delimiter.length + 1)
    this.parts = []
    this.length = 0
    for (;;) {
      const at = data.indexOf(this.delimiter, searchFrom)
      if (at < 0) break
      this.take(data.subarray(0, at), true)
      data = data.subarray(at + this.delimiter.length)
      searchFrom = 0
    }
    if (data.length > 0) this.take(data, false)
  }

  close(): void {
    this.parts = []
    this.length = 0
    this.discarding = false
  }

  private take(bytes: Buffer, complete: boolean): void {
    if (this.discarding) {
      if (complete) this.discarding = false
      return
    }
    if (bytes.length > this.maxLength) {
      this.handler.discard(
        'oversize',
        Buffer.from(bytes.subarray(0, this.maxLength)),
        `line longer than ${this.maxLength} bytes discarded`,
      )
      this.discarding = !complete
      return
    }
    if (complete) {
      // A CRLF device on a "\n" (or "\r") delimiter: the other half of the line end is not part of the frame.
      let start = 0
      let end = bytes.length
      while (start < end && isLineEnd(bytes[start])) start++
      while (end > start && isLineEnd(bytes[end - 1])) end--
      if (end > start) this.handler.frame(Buffer.from(bytes.subarray(start, end)))
      return
    }
    this.parts = [Buffer.from(bytes)]
    this.length = bytes.length
  }
}

interface ParserLimits {
  maxLength?: number
  /** The parser emits at its buffer size and the rest of the burst follows as the next frame (timeout). */
  restFollowsOversize?: boolean
  /** The parser buffers until this byte without bound (SLIP END): past maxLength we cut and skip to it. */
  endByte?: number
}

/** Adapts a `@serialport/parser-*` transform, adding the bounds some of them lack. */
class ParserFramer implements Framer {
  private parser: Transform & { buffer?: Buffer }
  private dropNext = false
  private skipToEnd = false

  constructor(
    private readonly makeParser: () => Transform,
    private readonly handler: FrameHandler,
    private readonly limits: ParserLimits = {},
  ) {
    this.parser = this.fresh()
  }

  push(chunk: Buffer): void {
    let data = chunk
    if (this.skipToEnd) {
      const end = data.indexOf(this.limits.endByte as number)
      if (end < 0) return
      this.skipToEnd = false
      data = data.subarray(end + 1)
    }
    this.parser.write(data)
    const { maxLength, endByte } = this.limits
    const pending = this.parser.buffer
    if (maxLength !== undefined && endByte !== undefined && pending && pending.length > maxLength) {
      this.handler.discard(
        'oversize',
        Buffer.from(pending.subarray(0, maxLength)),
        `frame longer than ${maxLength} bytes discarded`,
      )
      // A new parser forgets the partial frame; raw bytes are skipped up to the END that closes it.
      this.parser.destroy()
      this.parser = this.fresh()
      this.skipToEnd = true
    }
  }

  close(): void {
    this.parser.removeAllListeners('data')
    // destroy() runs no flush, so a half frame is not emitted; the timeout parser's timer is cleared here.
    const timer = (this.parser as { intervalID?: NodeJS.Timeout }).intervalID
    if (timer) clearTimeout(timer)
    this.parser.destroy()
  }

  private fresh(): Transform & { buffer?: Buffer } {
    const parser = this.makeParser()
    parser.on('data', (frame: Buffer) => this.onFrame(frame))
    return parser
  }

  private onFrame(frame: Buffer): void {
    if (this.dropNext) {
      this.dropNext = false
      return
    }
    // SLIP senders may open with END to flush line noise: an empty frame is not data.
    if (frame.length === 0) return
    const { maxLength } = this.limits
    if (maxLength !== undefined && frame.length > maxLength) {
      this.handler.discard(
        'oversize',
        frame.subarray(0, maxLength),
        `frame longer than ${maxLength} bytes discarded`,
      )
      this.dropNext = this.limits.restFollowsOversize === true
      return
    }
    this.handler.frame(frame)
  }
}

/** `[start][.. length field ..][payload][trailer]`: the payload is handed on without the envelope. */
function lengthPrefixed(config: SerialFraming, handler: FrameHandler): Framer {
  const maxPayload = Math.min(config.maxLength, 2 ** (8 * config.lengthBytes) - 1)
  const payloadStart = config.lengthOffset + config.lengthBytes
  const makeParser = () =>
    new PacketLengthParser({
      delimiter: config.start,
      packetOverhead: config.overhead,
      lengthBytes: config.lengthBytes,
      lengthOffset: config.lengthOffset,
      maxLen: maxPayload,
    })
  return new ParserFramer(makeParser, {
    frame(packet) {
      const len = packet.readUIntLE(config.lengthOffset, config.lengthBytes)
      if (len > maxPayload) {
        handler.discard('bad_length', packet, `length field ${len} exceeds ${maxPayload}`)
        return
      }
      handler.frame(packet.subarray(payloadStart, payloadStart + len))
    },
    discard: (kind, raw, message) => handler.discard(kind, raw, message),
  })
}
