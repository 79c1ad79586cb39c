import { readFileSync } from 'node:fs'
import type { Event } from '../core/event.js'
import type { JournalRecord } from './record.js'

/**
 * One input to replay: a raw MQTT message from a traffic recording (it goes through catalog and validation
 * as live traffic does), or an event the journal already accepted.
 */
export type ReplayInput =
  | { kind: 'mqtt'; ts: number; topic: string; payload: Buffer }
  | { kind: 'event'; event: Event }

export interface RecordingProblem {
  line: number
  message: string
}

/**
 * Reads a JSON-lines file. Each line is either a recorded MQTT message
 * `{"ts": <ms>, "topic": "...", "payload": <JSON value or string>}` or an exported journal record
 * (`tidegate journal export`); journal records other than events are skipped. Bad lines are reported, not fatal.
 */
export function readRecording(file: string): { inputs: ReplayInput[]; problems: RecordingProblem[] } {
  const inputs: ReplayInput[] = []
  const problems: RecordingProblem[] = []
  const lines = readFileSync(file, 'utf8').split('\n')
  lines.forEach((text, i) => {
    if (text.trim() === '') return
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (err) {
      problems.push({ line: i + 1, message: `not JSON: ${(err as Error).message}` })
      return
    }
    const input = toInput(value)
    if (typeof input === 'string') problems.push({ line: i + 1, message: input })
    else if (input) inputs.push(input)
  })
  return { inputs, problems }
}

function toInput(value: unknown): ReplayInput | string | null {
  if (typeof value !== 'object' || value === null) return 'a line must be a JSON object'
  const v = value as Record<string, unknown>
  if (typeof v['kind'] === 'string') {
    const record = v as JournalRecord
    return record.kind === 'event' ? { kind: 'event', event: record.event } : null
  }
  if (typeof v['ts'] !== 'number' || !Number.isFinite(v['ts']))
    return '"ts" must be a number of epoch milliseconds'
  if (typeof v['topic'] !== 'string' || v['topic'] === '') return '"topic" must be a non-empty string'
  const p = v['payload']
  const payload = Buffer.from(typeof p === 'string' ? p : JSON.stringify(p ?? null))
  return { kind: 'mqtt', ts: v['ts'], topic: v['topic'], payload }
}

/** Journal records → replay inputs (events only: alerts and commands are what replay recomputes). */
export function journalInputs(records: Iterable<JournalRecord>): ReplayInput[] {
  const out: ReplayInput[] = []
  for (const r of records) if (r.kind === 'event') out.push({ kind: 'event', event: r.event })
  return out
}
