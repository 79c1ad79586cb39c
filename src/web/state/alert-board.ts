import type { AlertTransition } from '../../rules/effects.js'
import { Ring } from './ring.js'

/**
 * Alerts as the rules publish them on `alerts/<rule>/<key>`: what is pending or firing now (with its
 * acknowledgement), and the recent transitions. Fed from the broker, so it shows exactly what MQTT
 * subscribers and InfluxDB get.
 */
export class AlertBoard {
  readonly recent: Ring<AlertTransition>
  private readonly active = new Map<string, AlertTransition>()

  constructor(recentSize: number) {
    this.recent = new Ring(recentSize)
  }

  observe(t: AlertTransition): void {
    this.recent.push(t)
    const id = `${t.rule}\u0000${t.key}`
    if (t.state === 'pending' || t.state === 'firing') this.active.set(id, t)
    else this.active.delete(id)
  }

  /** Pending and firing alerts, firing first, then by severity and age. */
  now(): AlertTransition[] {
    const rank = { critical: 0, warning: 1, info: 2 }
    return [...this.active.values()].sort(
      (a, b) =>
        Number(b.state === 'firing') - Number(a.state === 'firing') ||
        rank[a.severity] - rank[b.severity] ||
        a.since - b.since,
    )
  }

  get(rule: string, key: string): AlertTransition | undefined {
    return this.active.get(`${rule}\u0000${key}`)
  }
}
