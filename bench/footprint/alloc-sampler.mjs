// Preloaded into the gateway (docs/footprint.md, "How to measure"):
//   npm run bench:footprint -- --case c10-10k --node-flags="--max-semi-space-size=1 --max-old-space-size=128 --v8-pool-size=1 --import=./bench/footprint/alloc-sampler.mjs"
// V8's sampling heap profiler,
// keeping the objects young and old GCs collected, so the profile shows what is *allocated* (the garbage
// a scavenge pays for), not only what stays alive. Samples from ALLOC_FROM_S to ALLOC_FROM_S + ALLOC_FOR_S
// seconds after start and writes bench/results/alloc-<pid>.heapprofile (read it with alloc-summary.ts).
// ALLOC_PROMOTED=1 keeps only what survived the young generation; ALLOC_LIVE=1 only what is still alive when
// sampling stops (what fills the heap, e.g. of a gateway heading for "Reached heap limit").
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'

const from = Number(process.env.ALLOC_FROM_S ?? 6) * 1000
const span = Number(process.env.ALLOC_FOR_S ?? 8) * 1000
const session = new Session()
session.connect()
const post = (method, params) =>
  new Promise((resolve, reject) =>
    session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))),
  )

setTimeout(async () => {
  await post('HeapProfiler.enable')
  await post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    // ALLOC_LIVE=1: only what is still alive when sampling stops (what holds the heap, e.g. before an OOM).
    includeObjectsCollectedByMajorGC: process.env.ALLOC_LIVE !== '1',
    // ALLOC_PROMOTED=1: leave out what scavenges collect, i.e. show what survives the young generation
    // (promoted to the old one, where only a major GC frees it): the cause of frequent major GCs.
    includeObjectsCollectedByMinorGC: process.env.ALLOC_PROMOTED !== '1' && process.env.ALLOC_LIVE !== '1',
  })
  setTimeout(async () => {
    const { profile } = await post('HeapProfiler.stopSampling')
    const out = new URL(`../results/alloc-${process.pid}.heapprofile`, import.meta.url)
    writeFileSync(out, JSON.stringify({ seconds: span / 1000, profile }))
  }, span).unref()
}, from).unref()
