/** A request to actuate a device, from a rule, an operator topic or the CLI. */
export interface CommandRequest {
  device: string
  /** Command name, e.g. `set`; published to `devices/<device>/commands/<name>`. */
  name: string
  params: Record<string, unknown>
  /** Who asked: `rule:<id>`, `operator`, `cli`. */
  source: string
}

export type CommandSendResult =
  | { accepted: true; id: string }
  | { accepted: false; id?: string; reason: string }

/**
 * Sends commands to devices. The default publishes QoS 1 to the command topic; the device registry
 * work replaces it with validation, acknowledgement tracking, retries and per-device limits.
 */
export interface CommandDispatcher {
  send(request: CommandRequest): CommandSendResult
}
