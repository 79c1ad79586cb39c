/** What a rule set produced during a replay; the unit of output and of `--diff`. */
export type ReplayOutcome =
  | {
      kind: 'alert'
      /** Virtual (event) time of the transition, epoch ms. */
      t: number
      rule: string
      key: string
      state: string
      severity?: string | undefined
      values?: Record<string, unknown> | undefined
    }
  | {
      kind: 'command'
      t: number
      rule: string
      device: string
      name: string
      params: Record<string, unknown>
    }

function iso(t: number): string {
  return new Date(t).toISOString()
}

function compactJson(v: unknown): string {
  return v === undefined
    ? ''
    : JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isInteger(x) ? Number(x.toFixed(4)) : x))
}

/** One JSON object per line; keys in a fixed order so output is byte-identical across runs. */
export function toJsonLines(outcomes: readonly ReplayOutcome[]): string {
  return outcomes
    .map((o) =>
      o.kind === 'alert'
        ? JSON.stringify({
            t: iso(o.t),
            kind: o.kind,
            rule: o.rule,
            key: o.key,
            state: o.state,
            severity: o.severity,
            values: o.values,
          })
        : JSON.stringify({
            t: iso(o.t),
            kind: o.kind,
            rule: o.rule,
            device: o.device,
            name: o.name,
            params: o.params,
          }),
    )
    .map((l) => `${l}\n`)
    .join('')
}

/** A fixed-width table for people. */
export function toTable(outcomes: readonly ReplayOutcome[]): string {
  const rows = outcomes.map((o) =>
    o.kind === 'alert'
      ? [iso(o.t), 'alert', o.rule, o.key, o.state, `${o.severity ?? ''} ${compactJson(o.values)}`.trim()]
      : [iso(o.t), 'command', o.rule, o.device, o.name, compactJson(o.params)],
  )
  const header = ['time', 'kind', 'rule', 'key/device', 'state/name', 'details']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)))
  const fmt = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd()
  return [fmt(header), ...rows.map(fmt)].map((l) => `${l}\n`).join('')
}
