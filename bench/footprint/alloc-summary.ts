/**
 * Reads a profile written by alloc-sampler.mjs: allocation rate and the allocation sites, per message.
 *
 *   npx tsx bench/footprint/alloc-summary.ts bench/results/alloc-<pid>.heapprofile --rate 10000 [--top 25]
 *
 * Functions are named as V8 names them; in the esbuild bundle each is followed by the source module it
 * came from when the bundle was built without --minify-whitespace (its `// src/…` markers).
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

interface Node {
  callFrame: { functionName: string; url: string; lineNumber: number }
  selfSize: number
  children?: Node[]
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rate: { type: 'string', default: '10000' }, top: { type: 'string', default: '25' } },
})
const file = positionals[0]
if (!file) throw new Error('usage: alloc-summary.ts <alloc-….heapprofile> --rate <msg/s>')
const { seconds, profile } = JSON.parse(readFileSync(file, 'utf8')) as {
  seconds: number
  profile: { head: Node }
}
const bundles = new Map<string, { line: number; module: string }[]>()

/** The `// src/…` or `// node_modules/…` marker esbuild put above the line, when the bundle kept them. */
function moduleOf(url: string, line: number): string {
  if (!url.endsWith('.mjs')) return url.split('/').pop() ?? url
  let marks = bundles.get(url)
  if (!marks) {
    marks = []
    const lines = readFileSync(new URL(url), 'utf8').split('\n')
    for (let i = 0; i < lines.length; i++) {
      const m = /^\/\/ ((?:src|node_modules)\/\S+)$/.exec(lines[i] as string)
      if (m) marks.push({ line: i, module: m[1] as string })
    }
    bundles.set(url, marks)
  }
  let found = 'bundle'
  for (const m of marks) if (m.line <= line) found = m.module
  return found.replace(/^node_modules\/([^/]+)\/.*$/, '$1')
}

const sites = new Map<string, number>()
let total = 0
const walk = (n: Node): void => {
  if (n.selfSize > 0) {
    const f = n.callFrame
    const key = `${f.functionName || '(anonymous)'} (${f.url ? moduleOf(f.url, f.lineNumber) : 'V8 builtin'})`
    sites.set(key, (sites.get(key) ?? 0) + n.selfSize)
    total += n.selfSize
  }
  for (const c of n.children ?? []) walk(c)
}
walk(profile.head)
const perMessage = (bytes: number) => bytes / seconds / Number(values.rate)
console.log(
  `${(total / seconds / 1e6).toFixed(1)} MB/s allocated, ${Math.round(perMessage(total))} B per message at ${values.rate} msg/s`,
)
for (const [site, bytes] of [...sites].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top)))
  console.log(`${Math.round(perMessage(bytes)).toString().padStart(6)} B/msg  ${site}`)
