/**
 * The life of a command, one status per step:
 * queued (device offline, policy queue) → sent (per attempt) → acked | failed (device said error)
 * | timeout (no ack after every retry) | expired (queued too long); refused when it never went out.
 */
export type CommandStatus = 'refused' | 'queued' | 'sent' | 'acked' | 'failed' | 'timeout' | 'expired'

export interface CommandOutcome {
  id: string
  device: string
  /** Device type; undefined when the device is unknown. */
  type?: string
  name: string
  params: Record<string, unknown>
  source: string
  status: CommandStatus
  /** 1-based attempt number of the last send (0 when never sent). */
  attempt: number
  /** Why it was refused, failed, timed out or expired; the device's message for `failed`. */
  reason?: string
  /** From first send to ack, for acked/failed. */
  latencyMs?: number
  /** Extra data the device put in its ack. */
  data?: unknown
  at: number
}

/** Final statuses: nothing more will happen to the command. */
export function isFinal(status: CommandStatus): boolean {
  return status !== 'queued' && status !== 'sent'
}
