import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ProfileSummary } from './cpu-profile.js'

export interface StepResult {
  target: 'gateway' | 'aedes'
  qos: 0 | 1
  /** Offered load (msg/s) the generator aimed for. */
  offered: number
  /** What the generator got onto the sockets (msg/s). */
  sendRate: number
  /** What the broker took in (msg/s): gateway events accepted, or bare Aedes publishes. */
  received: number
  sent: number
  /** QoS 1: PUBACKs the generator received (within 5 s after the step). */
  acked?: number
  /** Gateway: points confirmed in InfluxDB for the step's devices and time range. */
  points?: number
  /** Gateway: 1 - points/sent. */
  loss?: number
  lossless: boolean
  alertLatencyMs?: { p50: number; p95: number; p99: number; n: number }
  cpu: number
  rssPeakMB: number
  rssMeanMB: number
  /** Peak anonymous RSS (without file-backed pages such as the LMDB map). */
  anonPeakMB: number
  eventLoopMs?: { p99: number; max: number }
  generatorCpu: number
  closedConnections: number
  durationS: number
}

export interface BenchReport {
  startedAt: string
  finishedAt: string
  command: string
  machine: { cpus: number; model: string; loadAvgAtStart: number[]; node: string }
  settings: { devices: number; stepSeconds: number; workers: number; rates: number[]; qos: number[] }
  steps: StepResult[]
  highestLossless: { qos0?: number; qos1?: number }
  /** Gateway's highest lossless received rate ÷ bare Aedes's highest received rate, per QoS. */
  ratioToAedes: { qos0?: number; qos1?: number }
  profile?: ProfileSummary & { rate: number; qos: number }
  notes: string[]
}

const f0 = (n: number | undefined) => (n === undefined ? '–' : Math.round(n).toLocaleString('en-US'))
const f1 = (n: number | undefined) => (n === undefined ? '–' : n.toFixed(1))
const pct = (n: number | undefined) => (n === undefined ? '–' : `${(n * 100).toFixed(2)} %`)

export function markdown(r: BenchReport): string {
  const lines = [
    '# tidegate end-to-end benchmark',
    '',
    `${r.startedAt} → ${r.finishedAt} · \`${r.command}\``,
    '',
    `Machine: ${r.machine.cpus} × ${r.machine.model}, load average at start ${r.machine.loadAvgAtStart.map((x) => x.toFixed(1)).join(' / ')}, Node ${r.machine.node}.`,
    `Load: ${r.settings.devices} devices (simulator/scenarios/load.yaml), one MQTT connection each, ${r.settings.workers} generator processes, ${r.settings.stepSeconds} s per step.`,
    '',
    `**Highest lossless rate**: QoS 0 ${f0(r.highestLossless.qos0)} msg/s, QoS 1 ${f0(r.highestLossless.qos1)} msg/s.`,
    `**Throughput vs bare Aedes** (highest lossless gateway rate ÷ highest bare Aedes rate): QoS 0 ${f1(
      r.ratioToAedes.qos0 === undefined ? undefined : r.ratioToAedes.qos0 * 100,
    )} %, QoS 1 ${f1(r.ratioToAedes.qos1 === undefined ? undefined : r.ratioToAedes.qos1 * 100)} %.`,
    '',
    '| target | QoS | offered msg/s | sent msg/s | received msg/s | points / sent (acked) | loss | alert p50 / p95 / p99 ms | CPU (cores) | RSS peak MB (anon) | loop p99 / max ms | gen CPU |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ]
  for (const s of r.steps) {
    const alert = s.alertLatencyMs
      ? `${f1(s.alertLatencyMs.p50)} / ${f1(s.alertLatencyMs.p95)} / ${f1(s.alertLatencyMs.p99)} (n=${s.alertLatencyMs.n})`
      : '–'
    const loop = s.eventLoopMs ? `${f1(s.eventLoopMs.p99)} / ${f1(s.eventLoopMs.max)}` : '–'
    lines.push(
      `| ${s.target} | ${s.qos} | ${f0(s.offered)} | ${f0(s.sendRate)} | ${f0(s.received)} | ${
        s.points === undefined
          ? '–'
          : `${f0(s.points)} / ${f0(s.sent)}${s.acked === undefined ? '' : ` (${f0(s.acked)})`}`
      } | ${pct(s.loss)}${s.lossless ? '' : ' ✗'} | ${alert} | ${s.cpu.toFixed(2)} | ${f1(s.rssPeakMB)} (${f1(s.anonPeakMB)}) | ${loop} | ${s.generatorCpu.toFixed(2)} |`,
    )
  }
  if (r.profile) {
    lines.push(
      '',
      `## Where the gateway's time goes (CPU profile at ${f0(r.profile.rate)} msg/s, QoS ${r.profile.qos})`,
      '',
    )
    lines.push(
      `Profile of the gateway's main thread: ${f0(r.profile.totalMs)} ms busy, ${f0(r.profile.idleMs)} ms idle; shares are of busy time.`,
      '',
    )
    lines.push('| area | self ms | share |', '| --- | ---: | ---: |')
    for (const a of r.profile.areas) lines.push(`| ${a.area} | ${f0(a.ms)} | ${pct(a.share)} |`)
    lines.push('', '| function | where | self ms | share |', '| --- | --- | ---: | ---: |')
    for (const fn of r.profile.functions)
      lines.push(`| ${fn.name} | ${fn.where} | ${f0(fn.ms)} | ${pct(fn.share)} |`)
  }
  if (r.notes.length) lines.push('', '## Notes', '', ...r.notes.map((n) => `- ${n}`))
  return `${lines.join('\n')}\n`
}

/** Achieved vs offered rate per target and QoS, with the ideal diagonal: a plain SVG, no dependencies. */
export function svgChart(r: BenchReport): string {
  const W = 720
  const H = 420
  const m = { l: 70, r: 170, t: 30, b: 50 }
  const rates = [...new Set(r.steps.map((s) => s.offered))].sort((a, b) => a - b)
  const maxY = Math.max(1, ...r.steps.map((s) => Math.max(s.offered, s.received)))
  const x = (rate: number) => m.l + (rates.indexOf(rate) / Math.max(1, rates.length - 1)) * (W - m.l - m.r)
  const y = (v: number) => H - m.b - (v / maxY) * (H - m.t - m.b)
  const series: { name: string; color: string; dash?: string; points: [number, number][] }[] = [
    { name: 'offered', color: '#999', dash: '4 4', points: rates.map((q) => [x(q), y(q)]) },
  ]
  const colors = {
    'gateway-0': '#1f77b4',
    'gateway-1': '#2ca02c',
    'aedes-0': '#ff7f0e',
    'aedes-1': '#d62728',
  }
  for (const [key, color] of Object.entries(colors)) {
    const [target, qos] = key.split('-')
    const steps = r.steps.filter((s) => s.target === target && String(s.qos) === qos)
    if (steps.length)
      series.push({
        name: `${target} QoS ${qos}`,
        color,
        points: steps.map((s) => [x(s.offered), y(s.received)]),
      })
  }
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${m.l}" y="18" font-size="14">tidegate: received msg/s vs offered (${r.settings.devices} devices)</text>`,
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="black"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="black"/>`,
  ]
  for (const q of rates)
    parts.push(`<text x="${x(q)}" y="${H - m.b + 18}" text-anchor="middle">${(q / 1000).toFixed(0)}k</text>`)
  for (let i = 0; i <= 4; i++) {
    const v = (maxY * i) / 4
    parts.push(`<text x="${m.l - 8}" y="${y(v) + 4}" text-anchor="end">${Math.round(v / 1000)}k</text>`)
    parts.push(`<line x1="${m.l}" y1="${y(v)}" x2="${W - m.r}" y2="${y(v)}" stroke="#eee"/>`)
  }
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 10}" text-anchor="middle">offered msg/s</text>`)
  series.forEach((s, i) => {
    const pts = s.points.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ')
    parts.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''} points="${pts}"/>`,
    )
    for (const [a, b] of s.points) parts.push(`<circle cx="${a}" cy="${b}" r="3" fill="${s.color}"/>`)
    const ly = m.t + 10 + i * 18
    parts.push(
      `<line x1="${W - m.r + 15}" y1="${ly}" x2="${W - m.r + 40}" y2="${ly}" stroke="${s.color}" stroke-width="2"/>`,
    )
    parts.push(`<text x="${W - m.r + 45}" y="${ly + 4}">${s.name}</text>`)
  })
  parts.push('</svg>')
  return `${parts.join('\n')}\n`
}

/** Writes report.json, report.md and chart.svg (plus timestamped copies) under the results folder. */
export function writeReport(dir: string, r: BenchReport): string[] {
  mkdirSync(dir, { recursive: true })
  const stamp = r.startedAt.replace(/[:.]/g, '-')
  const files: [string, string][] = [
    ['report.json', `${JSON.stringify(r, null, 2)}\n`],
    ['report.md', markdown(r)],
    ['chart.svg', svgChart(r)],
  ]
  const written: string[] = []
  for (const [name, text] of files) {
    for (const f of [join(dir, name), join(dir, `${stamp}-${name}`)]) {
      writeFileSync(f, text)
      written.push(f)
    }
  }
  return written
}
