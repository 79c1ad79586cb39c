// Preloaded into the gateway (docs/footprint.md, "How to measure"):
//   npm run bench:footprint -- --case c10-10k --node-flags="--max-semi-space-size=1 --max-old-space-size=128 --v8-pool-size=1 --import=./bench/footprint/gc-counter.mjs"
// Counts garbage collections by kind from GC_FROM_S to GC_FROM_S + GC_FOR_S seconds after start, with their
// total and longest pause, and how fast the old generation grows (what survives the young one),
// and writes bench/results/gc-<pid>.json. Why: the reaction-time tail at 10k msg/s is mostly GC pauses, and
// what drives the major ones is what survives the young generation.
import { writeFileSync } from 'node:fs'
import { constants, PerformanceObserver, performance } from 'node:perf_hooks'
import { getHeapSpaceStatistics } from 'node:v8'

const from = Number(process.env.GC_FROM_S ?? 6) * 1000
const span = Number(process.env.GC_FOR_S ?? 10) * 1000
const KINDS = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
}
const byKind = {}
const timeline = []
let counting = false
// Growth of the old generation (what scavenges promote) and of the large-object space (strings and arrays
// over ~128 KiB are allocated there directly): both count toward the next major GC. Sampled every 20 ms,
// the sum of each space's growth between samples (a major GC shrinks them).
const SPACES = { old: 'old_space', large: 'large_object_space' }
const lastUsed = { old: 0, large: 0 }
const grown = { old: 0, large: 0 }
const sampler = setInterval(() => {
  const stats = getHeapSpaceStatistics()
  for (const [k, name] of Object.entries(SPACES)) {
    const now = stats.find((s) => s.space_name === name)?.space_used_size ?? 0
    if (counting && now > lastUsed[k]) grown[k] += now - lastUsed[k]
    lastUsed[k] = now
  }
}, 20)
sampler.unref()

const observer = new PerformanceObserver((list) => {
  if (!counting) return
  for (const entry of list.getEntries()) {
    const kind = KINDS[entry.detail?.kind] ?? 'other'
    byKind[kind] ??= { count: 0, totalMs: 0, maxMs: 0 }
    const k = byKind[kind]
    k.count++
    k.totalMs += entry.duration
    k.maxMs = Math.max(k.maxMs, entry.duration)
    // CLOCK_MONOTONIC µs of the collection's start, the clock the bench's send times use.
    const startUs = Number(process.hrtime.bigint() / 1000n) - (performance.now() - entry.startTime) * 1000
    timeline.push([Math.round(startUs), kind, Math.round(entry.duration * 100) / 100])
  }
})
observer.observe({ entryTypes: ['gc'] })

let written = false
function write() {
  if (written) return
  written = true
  counting = false
  observer.disconnect()
  const round = (v) => Math.round(v * 100) / 100
  const kinds = Object.fromEntries(
    Object.entries(byKind).map(([k, v]) => [
      k,
      { count: v.count, totalMs: round(v.totalMs), maxMs: round(v.maxMs) },
    ]),
  )
  const seconds = Math.min(span, performance.now() - from) / 1000
  writeFileSync(
    new URL(`../results/gc-${process.pid}.json`, import.meta.url),
    JSON.stringify({
      seconds,
      kinds,
      oldGrownMBps: round(grown.old / 1e6 / seconds),
      largeGrownMBps: round(grown.large / 1e6 / seconds),
      timeline,
    }),
  )
}
// The bench stops the gateway with SIGTERM: a run shorter than the span still reports what it counted.
process.on('exit', () => counting && write())
setTimeout(() => {
  counting = true
  setTimeout(write, span).unref()
}, from).unref()
