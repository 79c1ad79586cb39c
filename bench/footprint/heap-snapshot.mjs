// Preloaded into the gateway to write one heap snapshot of the loaded process (docs/footprint.md, "How to
// measure"): SNAPSHOT_AT_S seconds after start (default 10), bench/results/heap-<pid>.heapsnapshot. Read it
// with heap-retainers.ts to see what keeps objects of a shape alive. The snapshot stops the gateway for a
// few seconds: the latency figures of that run mean nothing.
import { writeHeapSnapshot } from 'node:v8'

const at = Number(process.env.SNAPSHOT_AT_S ?? 10) * 1000
setTimeout(() => {
  writeHeapSnapshot(new URL(`../results/heap-${process.pid}.heapsnapshot`, import.meta.url).pathname)
}, at).unref()
