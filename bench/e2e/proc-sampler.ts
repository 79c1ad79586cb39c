import { readFileSync } from 'node:fs'

/** CPU (share of one core) and RSS of a process, read from /proc/<pid>/stat and /status. */
export interface ProcSample {
  at: number
  /** utime + stime in clock ticks (USER_HZ = 100 on Linux). */
  ticks: number
  /** The same, of the main thread alone (/proc/<pid>/task/<pid>/stat): the event loop's share. */
  mainTicks: number
  rssBytes: number
  /** Anonymous pages (heap, buffers): RSS without file-backed pages such as the LMDB map. */
  anonBytes: number
  /** File-backed pages (code, the LMDB map). */
  fileBytes: number
}

const USER_HZ = 100

export function readProc(pid: number): ProcSample | null {
  try {
    const ticks = statTicks(`/proc/${pid}/stat`)
    const mainTicks = statTicks(`/proc/${pid}/task/${pid}/stat`)
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024
    return {
      at: Date.now(),
      ticks,
      mainTicks,
      rssBytes: kb('VmRSS'),
      anonBytes: kb('RssAnon'),
      fileBytes: kb('RssFile'),
    }
  } catch {
    return null
  }
}

/** utime + stime of a /proc stat file. */
function statTicks(file: string): number {
  const stat = readFileSync(file, 'utf8')
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(rest[11]) + Number(rest[12]) // utime (14th field), stime (15th)
}

/** Samples a process every interval; summary() gives mean CPU and peak/mean RSS over the samples. */
export class ProcSampler {
  private readonly samples: ProcSample[] = []
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 500,
  ) {}

  start(): void {
    const take = () => {
      const s = readProc(this.pid)
      if (s) this.samples.push(s)
    }
    take()
    this.timer = setInterval(take, this.intervalMs)
  }

  stop(): { cpu: number; mainCpu: number; rssPeakMB: number; rssMeanMB: number; anonPeakMB: number; filePeakMB: number } {
    if (this.timer) clearInterval(this.timer)
    const s = readProc(this.pid)
    if (s) this.samples.push(s)
    const first = this.samples[0]
    const last = this.samples[this.samples.length - 1]
    const secs = first && last ? (last.at - first.at) / 1000 : 0
    const share = (ticks: (x: ProcSample) => number) =>
      first && last && secs > 0 ? (ticks(last) - ticks(first)) / USER_HZ / secs : 0
    const cpu = share((x) => x.ticks)
    const mainCpu = share((x) => x.mainTicks)
    const rss = this.samples.map((x) => x.rssBytes / 1_048_576)
    return {
      cpu,
      mainCpu,
      rssPeakMB: rss.length ? Math.max(...rss) : 0,
      rssMeanMB: rss.length ? rss.reduce((a, b) => a + b, 0) / rss.length : 0,
      anonPeakMB: Math.max(0, ...this.samples.map((x) => x.anonBytes / 1_048_576)),
      filePeakMB: Math.max(0, ...this.samples.map((x) => x.fileBytes / 1_048_576)),
    }
  }
}
