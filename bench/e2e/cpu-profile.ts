import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export interface ProfileSummary {
  file: string
  /** Busy (non-idle) time sampled. */
  totalMs: number
  idleMs: number
  /** Self time by function (top entries). */
  functions: { name: string; where: string; ms: number; share: number }[]
  /** Self time by area: our code by folder, dependencies by package, node internals, GC, idle. */
  areas: { area: string; ms: number; share: number }[]
}

/** Where a frame belongs: `src/ingest`, `aedes`, `node:internal`, `(garbage collector)`, ... */
function area(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)'
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (dep?.[1]) return dep[1]
  if (url.startsWith('node:')) return 'node internals'
  const own = /\/(src\/[^/]+)\//.exec(url)
  if (own?.[1]) return own[1]
  return url
    .replace(/^file:\/\//, '')
    .split('/')
    .slice(-2)
    .join('/')
}

/**
 * Summarises the busiest .cpuprofile in a folder (node --cpu-prof writes one per thread on exit; the
 * tsx loader runs in its own thread, and the gateway's main thread is the one with the most work).
 */
export function summariseProfile(dir: string, top = 15): ProfileSummary | undefined {
  if (!existsSync(dir)) return undefined
  const summaries = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => summariseFile(join(dir, f), top))
  return summaries.sort((a, b) => b.totalMs - a.totalMs)[0]
}

function summariseFile(file: string, top: number): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const selfUs = new Map<number, number>()
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
  })
  const fn = new Map<string, { name: string; where: string; us: number }>()
  const areas = new Map<string, number>()
  let total = 0
  let idle = 0
  for (const [id, us] of selfUs) {
    const node = byId.get(id)
    if (!node) continue
    // Idle is waiting, not work: kept apart so shares are of busy time.
    if (node.callFrame.functionName === '(idle)') {
      idle += us
      continue
    }
    total += us
    const { functionName, url, lineNumber } = node.callFrame
    const name = functionName || '(anonymous)'
    const where = url ? `${url.replace(/^file:\/\/.*?\/(node_modules|src)\//, '$1/')}:${lineNumber + 1}` : ''
    const key = `${name}@${where}`
    const entry = fn.get(key) ?? { name, where, us: 0 }
    entry.us += us
    fn.set(key, entry)
    const a = area(url, name)
    areas.set(a, (areas.get(a) ?? 0) + us)
  }
  const share = (us: number) => (total ? us / total : 0)
  return {
    file,
    totalMs: total / 1000,
    idleMs: idle / 1000,
    functions: [...fn.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, ms: f.us / 1000, share: share(f.us) })),
    areas: [...areas.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([a, us]) => ({ area: a, ms: us / 1000, share: share(us) })),
  }
}
