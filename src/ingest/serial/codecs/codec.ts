/** Why a frame did not decode; each is a per-port counter and the dead letter's first error. */
export type CodecErrorKind = 'decode' | 'checksum' | 'no_match' | 'columns' | 'unsupported'

export type DecodeResult =
  | { ok: true; data: Record<string, unknown> }
  | { ok: false; kind: CodecErrorKind; message: string }
  /** A well-formed frame the port is told not to take (NMEA sentences outside `only`). */
  | { ok: 'ignored' }

/** Turns one frame into a payload object. Pure: no I/O, never throws for bad input. */
export interface Codec {
  decode(frame: Buffer): DecodeResult
}

export const fail = (kind: CodecErrorKind, message: string): DecodeResult => ({ ok: false, kind, message })
