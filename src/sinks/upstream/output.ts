import type { DeadLetter } from '../../core/dead-letter.js'
import type { OutputBatch, OutputPlugin, OutputStatus, RejectedItem, WriteOutcome } from '../outbox/output.js'
import type { UpstreamConnection } from './connection.js'
import { decodeMessage, remoteTopic } from './message-item.js'

/**
 * The upstream output plugin: a batch (the in-flight window, at most the outbox's batch size) is
 * published QoS 1 in outbox order on one connection, so the broker sees each topic in order; an item
 * is delivered only once its PUBACK arrived. When the connection drops mid-batch, the acknowledged
 * items are settled and the rest is retried, oldest first, on the next connection (at-least-once).
 */
export class UpstreamOutput implements OutputPlugin {
  readonly label = 'upstream'
  private readyListeners: (() => void)[] = []
  /** Windows in flight: a lost connection fails them at once rather than waiting on MQTT.js callbacks. */
  private readonly inFlight = new Set<(reason: string) => void>()

  constructor(
    private readonly connection: UpstreamConnection,
    private readonly prefix: string,
  ) {
    const previousUp = connection.onUp
    connection.onUp = () => {
      previousUp()
      for (const l of this.readyListeners) l()
    }
    const previousDown = connection.onDown
    connection.onDown = () => {
      previousDown()
      for (const fail of [...this.inFlight]) fail('upstream connection lost')
    }
  }

  async connect(): Promise<void> {
    this.connection.start()
  }

  /** The host cuts its backoff short when the broker is back. */
  onReady(listener: () => void): void {
    this.readyListeners.push(listener)
  }

  write(batch: OutputBatch): Promise<WriteOutcome> {
    const client = this.connection.current
    if (!client) return Promise.resolve({ kind: 'retryAfter', ms: null, error: this.notConnected() })
    const items = batch.items()
    const settled: number[] = []
    const rejected: RejectedItem[] = []
    return new Promise<WriteOutcome>((resolve) => {
      let open = items.length
      let failure: string | null = null
      const finish = () => {
        this.inFlight.delete(fail)
        batch.signal.removeEventListener('abort', onAbort)
        if (failure === null && rejected.length === 0) resolve({ kind: 'delivered' })
        else if (failure === null) resolve({ kind: 'rejected', items: rejected })
        else resolve({ kind: 'retryAfter', ms: null, error: failure, settled, rejected })
      }
      // Shutdown or drop: what was not acknowledged stays in the outbox; MQTT.js forgets it at close.
      const fail = (reason: string) => {
        if (open === 0) return
        failure ??= reason
        open = 0
        finish()
      }
      const onAbort = () => fail('aborted')
      this.inFlight.add(fail)
      batch.signal.addEventListener('abort', onAbort, { once: true })
      items.forEach((item, index) => {
        const m = decodeMessage(item)
        if (!m) {
          rejected.push({ index, reason: 'upstream_rejected', detail: 'stored item is not a message' })
          if (--open === 0) finish()
          return
        }
        client.publish(remoteTopic(this.prefix, m.topic), m.payload, { qos: 1, retain: m.retain }, (err) => {
          if (open === 0) return
          if (err) failure ??= err.message
          else settled.push(index)
          if (--open === 0) finish()
        })
      })
    })
  }

  private notConnected(): string {
    return `upstream not connected${this.connection.lastError ? `: ${this.connection.lastError}` : ''}`
  }

  async close(): Promise<void> {
    await this.connection.stop()
  }

  status(): OutputStatus {
    return { reachable: this.connection.connected, authFailed: false }
  }

  deadLetter(item: string, rejection: RejectedItem, at: number): DeadLetter {
    return {
      reason: 'upstream_rejected',
      topic: 'upstream',
      payload: item,
      encoding: 'utf8',
      errors: [rejection.detail],
      at,
    }
  }
}
