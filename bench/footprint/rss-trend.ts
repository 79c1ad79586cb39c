/**
 * What a soak's RSS did, from samples every `everySeconds`: the mean of each `blockMinutes` block and the
 * least-squares slope over the whole run and over its last `blockMinutes`. A flat run has slopes near 0;
 * a bounded buffer that fills (the status page's hour of chart history) shows as blocks that rise and level.
 */
export interface RssTrend {
  blockMeansMB: number[]
  slopeMBPerMin: number
  lastBlockSlopeMBPerMin: number
}

export function rssTrend(samplesMB: readonly number[], everySeconds = 10, blockMinutes = 10): RssTrend {
  const perBlock = Math.max(1, Math.round((blockMinutes * 60) / everySeconds))
  const blockMeansMB: number[] = []
  for (let i = 0; i < samplesMB.length; i += perBlock) {
    const block = samplesMB.slice(i, i + perBlock)
    blockMeansMB.push(block.reduce((s, x) => s + x, 0) / block.length)
  }
  return {
    blockMeansMB,
    slopeMBPerMin: slope(samplesMB, everySeconds),
    lastBlockSlopeMBPerMin: slope(samplesMB.slice(-perBlock), everySeconds),
  }
}

function slope(ys: readonly number[], everySeconds: number): number {
  const n = ys.length
  if (n < 2) return 0
  const minutes = (i: number) => (i * everySeconds) / 60
  const meanX = minutes(n - 1) / 2
  const meanY = ys.reduce((s, y) => s + y, 0) / n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    num += (minutes(i) - meanX) * ((ys[i] as number) - meanY)
    den += (minutes(i) - meanX) ** 2
  }
  return num / den
}
