import type { ReplayOutcome } from './outcome.js'

export type AlertOutcome = Extract<ReplayOutcome, { kind: 'alert' }>

export type DiffEntry =
  | { change: 'appeared'; after: AlertOutcome }
  | { change: 'disappeared'; before: AlertOutcome }
  | { change: 'moved'; before: AlertOutcome; after: AlertOutcome; deltaMs: number }

/**
 * Compares the alert transitions of two rule sets over the same recording. Transitions are matched by
 * (rule, key, state) in time order: the n-th "firing" of a key before matches the n-th after; a matched pair at
 * a different time has moved, unmatched ones appeared or disappeared. Identical transitions are not listed.
 */
export function diffAlerts(before: readonly ReplayOutcome[], after: readonly ReplayOutcome[]): DiffEntry[] {
  const group = (list: readonly ReplayOutcome[]) => {
    const m = new Map<string, AlertOutcome[]>()
    for (const o of list) {
      if (o.kind !== 'alert') continue
      const k = `${o.rule}\u0000${o.key}\u0000${o.state}`
      const arr = m.get(k) ?? []
      arr.push(o)
      m.set(k, arr)
    }
    return m
  }
  const a = group(before)
  const b = group(after)
  const out: DiffEntry[] = []
  for (const k of new Set([...a.keys(), ...b.keys()])) {
    const xs = a.get(k) ?? []
    const ys = b.get(k) ?? []
    const n = Math.max(xs.length, ys.length)
    for (let i = 0; i < n; i++) {
      const x = xs[i]
      const y = ys[i]
      if (x && y) {
        if (x.t !== y.t) out.push({ change: 'moved', before: x, after: y, deltaMs: y.t - x.t })
      } else if (x) out.push({ change: 'disappeared', before: x })
      else if (y) out.push({ change: 'appeared', after: y })
    }
  }
  const when = (d: DiffEntry) => (d.change === 'disappeared' ? d.before.t : d.after.t)
  const id = (d: DiffEntry) => {
    const o = d.change === 'disappeared' ? d.before : d.after
    return `${o.rule}\u0000${o.key}\u0000${o.state}`
  }
  return out.sort((p, q) => when(p) - when(q) || (id(p) < id(q) ? -1 : id(p) > id(q) ? 1 : 0))
}

export function formatDiff(entries: readonly DiffEntry[]): string {
  if (entries.length === 0) return 'no differences in alert transitions\n'
  return entries
    .map((d) => {
      if (d.change === 'appeared')
        return `+ ${new Date(d.after.t).toISOString()} ${d.after.rule} ${d.after.key} ${d.after.state}`
      if (d.change === 'disappeared')
        return `- ${new Date(d.before.t).toISOString()} ${d.before.rule} ${d.before.key} ${d.before.state}`
      const s = d.deltaMs / 1000
      return `~ ${new Date(d.before.t).toISOString()} -> ${new Date(d.after.t).toISOString()} ${d.after.rule} ${d.after.key} ${d.after.state} (${s > 0 ? '+' : ''}${s}s)`
    })
    .map((l) => `${l}\n`)
    .join('')
}
