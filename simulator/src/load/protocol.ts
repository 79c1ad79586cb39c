/** Messages between the load generator (parent) and its worker processes, over the IPC channel. */
export interface LoadWorkerSetup {
  cmd: 'setup'
  url: string
  scenarioFile: string
  seed: number
  /** Total devices across all workers; this worker plays [from, to). */
  devices: number
  from: number
  to: number
  /** This worker's share of the rate (msg/s). */
  rate: number
  durationMs: number
  qos: 0 | 1
  /** Added to every device's seq so a later step never repeats an earlier step's seq (dedupe). */
  seqBase: number
}

export interface LoadWorkerGo {
  cmd: 'go'
}

export type ToWorker = LoadWorkerSetup | LoadWorkerGo

export interface LoadWorkerResult {
  sent: number
  acked: number
  /** Real time the worker spent sending (ms). */
  elapsedMs: number
  /** Largest backlog the worker had against its schedule (messages). */
  maxBehind: number
  /** Connections the broker closed during the run. */
  closed: number
  /** Generator CPU time (ms, user + system) — to show it was not the bottleneck. */
  cpuMs: number
}

export type FromWorker =
  | { cmd: 'ready'; connected: number }
  | { cmd: 'done'; result: LoadWorkerResult }
  | { cmd: 'error'; message: string }
