export interface Series {
  name: string
  color: string
  points: [number, number][]
}

const NS = 'http://www.w3.org/2000/svg'
const W = 600
const H = 160
const PAD = { l: 44, r: 8, t: 8, b: 20 }

function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const el = document.createElementNS(NS, tag)
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v))
  return el
}

/**
 * A hand-drawn SVG line chart (no library): lines over a time axis from `from` to `to`, y from 0 or the
 * data's minimum to its maximum, with a legend. Scales with its container (viewBox).
 */
export function lineChart(series: Series[], from: number, to: number, label = ''): SVGElement {
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': label })
  const all = series.flatMap((s) => s.points.map((p) => p[1]))
  let lo = Math.min(0, ...all)
  let hi = Math.max(...all, lo + 1)
  if (all.length && Math.min(...all) > 0 && Math.min(...all) > hi / 2) lo = Math.min(...all)
  if (hi === lo) hi = lo + 1
  const x = (t: number) => PAD.l + ((t - from) / Math.max(1, to - from)) * (W - PAD.l - PAD.r)
  const y = (v: number) => H - PAD.b - ((v - lo) / (hi - lo)) * (H - PAD.t - PAD.b)
  for (const v of [lo, (lo + hi) / 2, hi]) {
    root.append(svg('line', { x1: PAD.l, x2: W - PAD.r, y1: y(v), y2: y(v), class: 'grid' }))
    const t = svg('text', { x: PAD.l - 4, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' })
    t.textContent = String(Math.round(v * 10) / 10)
    root.append(t)
  }
  for (const [t, anchor] of [
    [from, 'start'],
    [to, 'end'],
  ] as const) {
    const el = svg('text', { x: x(t), y: H - 4, 'text-anchor': anchor, class: 'axis' })
    el.textContent = new Date(t).toLocaleTimeString()
    root.append(el)
  }
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => p[0] >= from)
    if (pts.length) {
      const d = pts.map((p, j) => `${j ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join('')
      root.append(svg('path', { d, stroke: s.color, class: 'line' }))
    }
    const lx = PAD.l + 8 + i * 130
    root.append(svg('rect', { x: lx, y: PAD.t, width: 10, height: 10, fill: s.color }))
    const t = svg('text', { x: lx + 14, y: PAD.t + 9, class: 'legend' })
    t.textContent = s.name
    root.append(t)
  })
  return root
}

export const COLORS = ['#2b7bb9', '#d9822b', '#3a9d5d', '#b34d8c', '#7d6ad6', '#c23b3b']
