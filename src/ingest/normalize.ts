import type { DeadLetter } from '../core/dead-letter.js'
import { encodePayload } from '../core/dead-letter.js'
import type { Event, EventSource } from '../core/event.js'
import type { Catalog, DeviceType, TopicMatch } from '../devices/catalog.js'

export type IngestOutcome = { ok: true; event: Event } | { ok: false; dead: DeadLetter }

/** Adds registry metadata (site, zone, ...) to a device's events; none by default. */
export type TagEnricher = (device: string, type: string) => Readonly<Record<string, string>> | undefined

export interface NormalizerOptions {
  /** Topics under this prefix that match no type are dead-lettered as `no_type`; others are ordinary MQTT. */
  deviceTopicPrefix: string
  /** Topics under the prefix that belong to the gateway's own protocol, never telemetry. */
  reservedSuffixes?: readonly string[]
  enrichTags?: TagEnricher
}

const DEFAULT_RESERVED = ['/availability', '/acks', '/commands']

function dead(
  reason: DeadLetter['reason'],
  topic: string,
  payload: Buffer | string,
  errors: string[],
  at: number,
  m?: TopicMatch,
): IngestOutcome {
  return {
    ok: false,
    dead: { reason, topic, ...encodePayload(payload), errors, device: m?.device, type: m?.type.name, at },
  }
}

/**
 * Turns raw input into Events. Pure and synchronous: the hot path does no I/O and no awaits.
 */
export class Normalizer {
  private readonly reserved: readonly string[]

  constructor(
    private readonly catalog: Catalog,
    private readonly options: NormalizerOptions,
  ) {
    this.reserved = options.reservedSuffixes ?? DEFAULT_RESERVED
  }

  /** Returns null for topics that are not device telemetry (ordinary broker traffic). */
  fromMqtt(topic: string, payload: Buffer, received: number): IngestOutcome | null {
    const matches = this.catalog.resolve(topic)
    if (matches.length === 0) {
      if (!topic.startsWith(this.options.deviceTopicPrefix) || this.isReserved(topic)) return null
      return dead('no_type', topic, payload, ['no device type declares this topic'], received)
    }
    let data: unknown
    try {
      data = JSON.parse(payload.toString('utf8'))
    } catch (err) {
      return dead('invalid_json', topic, payload, [(err as Error).message], received, matches[0])
    }
    return this.fromData(matches, data, received, 'mqtt', topic, payload)
  }

  /**
   * Validates decoded data against the matching types; with several candidates (types sharing a topic)
   * the first whose schema accepts the payload wins.
   */
  fromData(
    matches: readonly TopicMatch[],
    data: unknown,
    received: number,
    source: EventSource,
    topic: string,
    raw: Buffer | string,
  ): IngestOutcome {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      return dead('schema', topic, raw, ['payload must be a JSON object'], received, matches[0])
    }
    let firstErrors: string[] | undefined
    for (const m of matches) {
      if (m.type.validate(data))
        return { ok: true, event: this.toEvent(m, data as Record<string, unknown>, received, source, topic) }
      firstErrors ??= (m.type.validate.errors ?? []).map(
        (e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`,
      )
    }
    return dead('schema', topic, raw, firstErrors ?? [], received, matches[0])
  }

  /** For sources that know device and type already (serial ports). */
  fromDevice(
    device: string,
    type: DeviceType,
    data: unknown,
    received: number,
    source: EventSource,
    topic: string,
    raw: Buffer | string,
  ): IngestOutcome {
    return this.fromData([{ type, device }], data, received, source, topic, raw)
  }

  private toEvent(
    m: TopicMatch,
    data: Record<string, unknown>,
    received: number,
    source: EventSource,
    topic: string,
  ): Event {
    const type = m.type
    const rawTime = data[type.timeField]
    const time = typeof rawTime === 'number' && Number.isFinite(rawTime) ? rawTime * type.timeScale : received
    const rawSeq = data[type.seqField]
    let tags: Record<string, string> = {}
    const extra = this.options.enrichTags?.(m.device, type.name)
    if (extra) tags = { ...extra }
    for (const name of type.tagFields) {
      const v = data[name]
      if (v !== undefined && v !== null) tags[name] = String(v)
    }
    const event: Event = {
      device: m.device,
      type: type.name,
      stream: 'telemetry',
      time,
      received,
      data,
      tags,
      source,
      topic,
    }
    if (typeof rawSeq === 'number') event.seq = rawSeq
    return event
  }

  private isReserved(topic: string): boolean {
    for (const suffix of this.reserved)
      if (topic.endsWith(suffix) || topic.includes(`${suffix}/`)) return true
    return false
  }
}
