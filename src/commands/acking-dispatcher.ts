import { randomUUID } from 'node:crypto'
import { type Clock, UNREF } from '../core/clock.js'
import type { CommandDispatcher, CommandRequest, CommandSendResult } from '../core/command.js'
import { parseAck } from './ack.js'
import { type CommandCatalog, type CompiledCommand, paramErrors } from './command-catalog.js'
import type { CommandOutcome, CommandStatus } from './command-outcome.js'

/** What a device receives on `devices/<id>/commands/<name>`. */
export interface CommandMessage {
  id: string
  name: string
  params: Record<string, unknown>
  source: string
  /** Epoch ms of this attempt. */
  at: number
  /** 1 for the first send; a retry carries the same id with a higher attempt. */
  attempt: number
}

/**
 * How a command reaches a device: a QoS 1 publish on its command topic. Serial-bound devices need
 * nothing else: the serial command router listens on the same topics inside the broker and acks.
 */
export interface CommandTransport {
  deliver(device: string, message: CommandMessage): void
}

export interface DispatcherPolicy {
  minIntervalMs: number
  maxPending: number
  maxPendingPerDevice: number
  offline: 'refuse' | 'queue'
  queueForMs: number
}

export interface DispatcherDeps {
  commands: CommandCatalog
  /** Registered type, or the type an unregistered device was seen with. */
  typeOf: (device: string) => string | undefined
  isOnline: (device: string) => boolean
  /** The MQTT transport (QoS 1 publish to the command topic). */
  mqtt: CommandTransport
  /** Every step of every command (InfluxDB, operator results, command_timeout events). */
  onOutcome: (outcome: CommandOutcome) => void
  clock: Clock
  newId?: () => string
}

interface Tracked {
  device: string
  message: CommandMessage
  type: string
  command: CompiledCommand
  firstSentAt: number
  timer: unknown
}

interface Queued {
  message: CommandMessage
  type: string
  command: CompiledCommand
  timer: unknown
}

/**
 * Sends commands with validation, acknowledgement tracking and limits. A command is checked against its
 * type's params schema, given an id, published QoS 1 and tracked until the device acks it on
 * `devices/<id>/acks`; with no ack within the timeout it is sent again (same id) up to `retries` times,
 * then reported as `timeout`. Sending is synchronous for the caller; the outcome arrives via onOutcome.
 */
export class AckingCommandDispatcher implements CommandDispatcher {
  private readonly pending = new Map<string, Tracked>()
  private readonly pendingPerDevice = new Map<string, number>()
  private readonly queued = new Map<string, Queued[]>()
  private readonly lastAccepted = new Map<string, number>()
  private stopped = false
  readonly counters = { unmatchedAcks: 0, invalidAcks: 0 }
  /** Steps reported so far, by status (refused, queued, sent, acked, failed, timeout, expired). */
  readonly outcomes = new Map<CommandStatus, number>()

  constructor(
    private readonly deps: DispatcherDeps,
    private readonly policy: DispatcherPolicy,
  ) {}

  /** For /metrics (the observability feature exports any service with metricSamples()). */
  metricSamples() {
    return [...this.outcomes].map(([status, value]) => ({
      name: 'tidegate_command_outcomes_total',
      help: 'Command steps by status: refused, queued, sent (per attempt), acked, failed, timeout, expired',
      type: 'counter' as const,
      labels: { status },
      value,
    }))
  }

  get pendingCount(): number {
    let n = this.pending.size
    for (const q of this.queued.values()) n += q.length
    return n
  }

  send(request: CommandRequest): CommandSendResult {
    const now = this.deps.clock.now()
    const id = this.deps.newId?.() ?? randomUUID()
    const params = request.params ?? {}
    const message: CommandMessage = {
      id,
      name: request.name,
      params,
      source: request.source,
      at: now,
      attempt: 0,
    }
    const type = this.deps.typeOf(request.device)
    const refuse = (reason: string): CommandSendResult => {
      this.report(request.device, type, message, 'refused', { reason })
      return { accepted: false, id, reason }
    }
    if (this.stopped) return refuse('gateway is stopping')
    if (type === undefined) return refuse(`unknown device "${request.device}": not registered and never seen`)
    const command = this.deps.commands.get(type, request.name)
    if (!command) {
      const names = this.deps.commands.namesOf(type)
      return refuse(
        `device type "${type}" has no command "${request.name}" (it has: ${names.join(', ') || 'none'})`,
      )
    }
    if (!command.validate(params)) return refuse(`invalid params: ${paramErrors(command.validate)}`)
    if (this.pendingCount >= this.policy.maxPending)
      return refuse(`too many pending commands (${this.policy.maxPending})`)
    if ((this.pendingPerDevice.get(request.device) ?? 0) >= this.policy.maxPendingPerDevice)
      return refuse(`too many pending commands for ${request.device} (${this.policy.maxPendingPerDevice})`)
    const last = this.lastAccepted.get(request.device)
    if (last !== undefined && now - last < this.policy.minIntervalMs)
      return refuse(
        `minimum interval: the last command to ${request.device} was ${now - last} ms ago (devices.commands.minInterval ${this.policy.minIntervalMs} ms)`,
      )
    if (!this.deps.isOnline(request.device)) {
      if (this.policy.offline === 'refuse')
        return refuse(`device ${request.device} is offline (devices.commands.offline: refuse)`)
      this.enqueue(request.device, type, command, message)
    } else {
      this.track(request.device, type, command, message)
    }
    this.lastAccepted.set(request.device, now)
    this.bump(request.device, +1)
    return { accepted: true, id }
  }

  /** An ack from `devices/<device>/acks`. Unknown ids (late, foreign, already answered) are counted. */
  acknowledge(device: string, payload: unknown): void {
    const ack = parseAck(payload)
    if (!ack) {
      this.counters.invalidAcks++
      return
    }
    const tracked = this.pending.get(ack.id)
    if (!tracked || tracked.device !== device) {
      this.counters.unmatchedAcks++
      return
    }
    this.deps.clock.clearTimeout(tracked.timer)
    this.finish(tracked)
    const extra: Partial<CommandOutcome> = { latencyMs: this.deps.clock.now() - tracked.firstSentAt }
    if (ack.data !== undefined) extra.data = ack.data
    if (ack.reason !== undefined) extra.reason = ack.reason
    this.report(device, tracked.type, tracked.message, ack.status, extra)
  }

  /** The device came online: queued commands go out in the order they were accepted. */
  deviceOnline(device: string): void {
    const queue = this.queued.get(device)
    if (!queue || this.stopped) return
    this.queued.delete(device)
    for (const q of queue) {
      this.deps.clock.clearTimeout(q.timer)
      this.track(device, q.type, q.command, q.message)
    }
  }

  /** Stops timers; pending commands stay unanswered (their outcome is not reported). */
  stop(): void {
    this.stopped = true
    for (const t of this.pending.values()) this.deps.clock.clearTimeout(t.timer)
    for (const q of this.queued.values()) for (const c of q) this.deps.clock.clearTimeout(c.timer)
  }

  private enqueue(device: string, type: string, command: CompiledCommand, message: CommandMessage): void {
    const entry: Queued = { message, type, command, timer: null }
    entry.timer = this.deps.clock.setTimeout(
      () => {
        const queue = this.queued.get(device) ?? []
        const i = queue.indexOf(entry)
        if (i < 0) return
        queue.splice(i, 1)
        if (queue.length === 0) this.queued.delete(device)
        this.bump(device, -1)
        this.report(device, type, message, 'expired', {
          reason: `device stayed offline for ${this.policy.queueForMs} ms (devices.commands.queueFor)`,
        })
      },
      this.policy.queueForMs,
      UNREF,
    )
    const queue = this.queued.get(device) ?? []
    queue.push(entry)
    this.queued.set(device, queue)
    this.report(device, type, message, 'queued', { reason: 'device offline' })
  }

  private track(device: string, type: string, command: CompiledCommand, message: CommandMessage): void {
    const tracked: Tracked = {
      device,
      message,
      type,
      command,
      firstSentAt: this.deps.clock.now(),
      timer: null,
    }
    this.pending.set(message.id, tracked)
    this.attempt(device, tracked)
  }

  private attempt(device: string, tracked: Tracked): void {
    const { message, command } = tracked
    message.attempt++
    message.at = this.deps.clock.now()
    tracked.timer = this.deps.clock.setTimeout(() => this.timedOut(device, tracked), command.timeoutMs, UNREF)
    this.report(device, tracked.type, message, 'sent')
    this.deps.mqtt.deliver(device, { ...message })
  }

  private timedOut(device: string, tracked: Tracked): void {
    if (this.pending.get(tracked.message.id) !== tracked) return
    if (tracked.message.attempt <= tracked.command.retries) {
      this.attempt(device, tracked)
      return
    }
    this.finish(tracked)
    this.report(device, tracked.type, tracked.message, 'timeout', {
      reason: `no ack after ${tracked.message.attempt} attempt(s) of ${tracked.command.timeoutMs} ms`,
    })
  }

  private finish(tracked: Tracked): void {
    this.pending.delete(tracked.message.id)
    this.bump(tracked.device, -1)
  }

  private bump(device: string, delta: number): void {
    const n = (this.pendingPerDevice.get(device) ?? 0) + delta
    if (n <= 0) this.pendingPerDevice.delete(device)
    else this.pendingPerDevice.set(device, n)
  }

  private report(
    device: string,
    type: string | undefined,
    message: CommandMessage,
    status: CommandStatus,
    extra: Partial<CommandOutcome> = {},
  ): void {
    const outcome: CommandOutcome = {
      id: message.id,
      device,
      name: message.name,
      params: message.params,
      source: message.source,
      status,
      attempt: message.attempt,
      at: this.deps.clock.now(),
      ...extra,
    }
    if (type !== undefined) outcome.type = type
    this.outcomes.set(status, (this.outcomes.get(status) ?? 0) + 1)
    this.deps.onOutcome(outcome)
  }
}
