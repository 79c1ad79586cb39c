import { Value } from '@sinclair/typebox/value'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { lengthPrefixEncode, slipEncode } from '../../../simulator/serial/frames.js'
import { SerialFramingSchema } from '../../../src/ingest/serial/config-schema.js'
import { createFramer, type FramingErrorKind } from '../../../src/ingest/serial/framing.js'

/** A framing config with the schema's defaults filled in, as the gateway sees it. */
function framing(partial: Record<string, unknown>) {
  return Value.Default(SerialFramingSchema, structuredClone(partial)) as Parameters<typeof createFramer>[0]
}

function harness(config: Record<string, unknown>) {
  const frames: string[] = []
  const discards: { kind: FramingErrorKind; raw: Buffer }[] = []
  const framer = createFramer(framing(config), {
    frame: (b) => frames.push(b.toString('latin1')),
    discard: (kind, raw) => discards.push({ kind, raw }),
  })
  return {
    framer,
    frames,
    discards,
    push: (s: string | Buffer) => framer.push(Buffer.isBuffer(s) ? s : Buffer.from(s, 'latin1')),
  }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('line framing', () => {
  it('splits on the terminator across chunks, drops CR before LF and empty lines', () => {
    const h = harness({ kind: 'line' })
    h.push('a=1\r\nb=')
    h.push('2\n\n')
    h.push('c=3')
    expect(h.frames).toEqual(['a=1', 'b=2'])
    h.push('\n')
    expect(h.frames).toEqual(['a=1', 'b=2', 'c=3'])
  })

  it('a "\\r" delimiter with a CRLF device: the LF is not part of the next frame', () => {
    const h = harness({ kind: 'line', delimiter: '\r' })
    h.push('a=1\r\nb=2\r\n')
    expect(h.frames).toEqual(['a=1', 'b=2'])
  })

  it('finds a multi-byte terminator split across two reads', () => {
    const h = harness({ kind: 'line', delimiter: '\r\n' })
    h.push('one\r')
    h.push('\ntwo\r\n')
    expect(h.frames).toEqual(['one', 'two'])
  })

  it('discards an over-long line once, including the tail that arrives later, and keeps the buffer bounded', () => {
    const h = harness({ kind: 'line', maxLength: 8 })
    h.push('0123456789')
    h.push('abcdefghij'.repeat(100))
    h.push('tail\nok\n')
    expect(h.frames).toEqual(['ok'])
    expect(h.discards).toHaveLength(1)
    expect(h.discards[0]?.kind).toBe('oversize')
    expect(h.discards[0]?.raw.length).toBe(8)
  })

  it('a complete over-long line in one chunk is discarded and the next line is kept', () => {
    const h = harness({ kind: 'line', maxLength: 4 })
    h.push('123456\n12\n')
    expect(h.frames).toEqual(['12'])
    expect(h.discards.map((d) => d.kind)).toEqual(['oversize'])
  })
})

describe('parser-based framings', () => {
  it('fixed length cuts every n bytes', () => {
    const h = harness({ kind: 'fixed', length: 3 })
    h.push('abcde')
    h.push('f')
    expect(h.frames).toEqual(['abc', 'def'])
  })

  it('length-prefixed hands on the payload without the envelope, skipping noise before the start byte', () => {
    const h = harness({ kind: 'length' })
    h.push(
      Buffer.concat([
        Buffer.from('xx'),
        lengthPrefixEncode(Buffer.from('{"a":1}')),
        lengthPrefixEncode(Buffer.from('hi')),
      ]),
    )
    expect(h.frames).toEqual(['{"a":1}', 'hi'])
  })

  it('length-prefixed rejects a length field above maxLength', () => {
    const h = harness({ kind: 'length', maxLength: 4 })
    h.push(Buffer.from([0xaa, 200, 1, 2, 3]))
    expect(h.frames).toEqual([])
    expect(h.discards.map((d) => d.kind)).toEqual(['bad_length'])
  })

  it('SLIP unescapes, ignores the leading END, and discards an unterminated frame past maxLength', () => {
    const h = harness({ kind: 'slip', maxLength: 16 })
    h.push(slipEncode(Buffer.from([0x41, 0xc0, 0xdb, 0x42])))
    expect(h.frames).toEqual(['A\xc0\xdbB'])
    h.push(Buffer.alloc(40, 0x61)) // no END: must not grow without bound
    h.push(Buffer.from([0xc0]))
    h.push(slipEncode(Buffer.from('ok')))
    expect(h.frames).toEqual(['A\xc0\xdbB', 'ok'])
    expect(h.discards.map((d) => d.kind)).toEqual(['oversize'])
  })

  it('inter-byte timeout ends a frame after the configured silence (virtual time)', () => {
    vi.useFakeTimers()
    const h = harness({ kind: 'timeout', interval: '50ms' })
    h.push('ab')
    vi.advanceTimersByTime(30)
    h.push('c')
    vi.advanceTimersByTime(49)
    expect(h.frames).toEqual([])
    vi.advanceTimersByTime(1)
    expect(h.frames).toEqual(['abc'])
    h.push('d')
    vi.advanceTimersByTime(50)
    expect(h.frames).toEqual(['abc', 'd'])
  })

  it('inter-byte timeout discards a burst longer than maxLength, including its rest', () => {
    vi.useFakeTimers()
    const h = harness({ kind: 'timeout', interval: '50ms', maxLength: 4 })
    h.push('0123456789')
    vi.advanceTimersByTime(50)
    h.push('ok')
    vi.advanceTimersByTime(50)
    expect(h.frames).toEqual(['ok'])
    expect(h.discards.map((d) => d.kind)).toEqual(['oversize'])
  })

  it('close() drops a partial frame and its timer', () => {
    vi.useFakeTimers()
    const h = harness({ kind: 'timeout', interval: '50ms' })
    h.push('partial')
    h.framer.close()
    vi.advanceTimersByTime(100)
    expect(h.frames).toEqual([])
  })
})
