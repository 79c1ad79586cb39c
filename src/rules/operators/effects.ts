import type { FieldValue } from '../../sinks/influx/line-protocol.js'
import type { TransitionState } from '../alert-machine.js'

/**
 * What a rule asks the gateway to do, as plain values: the same keys as a YAML action. A rule (YAML or
 * code) emits these; the gateway routes them through one path (command dispatcher with acks and minimum
 * intervals, alert topics and measurement, outbox, shadow mode).
 */
export type Effect = AlertEffect | CommandEffect | WriteEffect | PublishEffect

export interface AlertSpec {
  /** The state key (device, zone, ...): one alert per (rule, key). */
  key: string
  state: TransitionState
  /** Default `<rule> <state> for <key>`. */
  message?: string
  severity?: 'info' | 'warning' | 'critical'
  /** Values that led to it; numbers become `value_<name>` fields of the `alerts` measurement. */
  values?: Record<string, unknown>
  device?: string
  previous?: TransitionState
  /** When the alert was raised (ms); default `at`. */
  since?: number
  /** When this transition happened (ms); default the rule's clock. */
  at?: number
  /** 0 for a state change, n for the n-th re-notification while firing. */
  repeat?: number
}

export interface AlertEffect {
  alert: AlertSpec
}

export interface CommandSpec {
  device: string
  name: string
  params?: Record<string, unknown>
  /** At most one command per (device, name) per interval; a newer one waits and replaces (default 10 s). */
  minInterval?: number
  /** The state key it is for (stats, logs). */
  key?: string
}

export interface CommandEffect {
  command: CommandSpec
}

export interface WriteSpec {
  measurement: string
  tags?: Record<string, string>
  fields: Record<string, FieldValue>
  /** Epoch ms; default the rule's clock. */
  time?: number
}

export interface WriteEffect {
  write: WriteSpec
}

export interface PublishSpec {
  /** No wildcards; `/`-levels are kept, `+` and `#` inside a level become `_`. */
  topic: string
  /** A string is sent as is, anything else as JSON. */
  payload: unknown
  qos?: 0 | 1
  retain?: boolean
}

export interface PublishEffect {
  publish: PublishSpec
}

/** `{ alert: spec }`: an alert transition (usually from `alertState` or `deadman`). */
export const alert = (spec: AlertSpec): AlertEffect => ({ alert: spec })
/** `{ command: spec }`: a device command through the dispatcher (acks, retries, minimum interval). */
export const command = (spec: CommandSpec): CommandEffect => ({ command: spec })
/** `{ write: spec }`: a derived point to InfluxDB through the outbox. */
export const write = (spec: WriteSpec): WriteEffect => ({ write: spec })
/** `{ publish: spec }`: an MQTT message on the embedded broker. */
export const publish = (spec: PublishSpec): PublishEffect => ({ publish: spec })

/** Whether a value is one of the four effects (code rules are checked at their output). */
export function isEffect(v: unknown): v is Effect {
  if (v === null || typeof v !== 'object') return false
  const o = v as Record<string, unknown>
  const spec = o.alert ?? o.command ?? o.write ?? o.publish
  return spec !== null && typeof spec === 'object'
}
