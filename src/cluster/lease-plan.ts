/**
 * Which partitions this node should take or give back, from one look at Redis: every live node aims
 * at ceil(partitions / live nodes). Pure, so the balancing is tested without Redis or time.
 */
export interface LeaseView {
  me: string
  /** Nodes with a fresh heartbeat (this node included). */
  live: readonly string[]
  /** Lease holder of each partition, null when free. */
  owners: readonly (string | null)[]
}

export interface LeasePlan {
  acquire: number[]
  release: number[]
}

export function planLeases(view: LeaseView, startAt = 0): LeasePlan {
  const partitions = view.owners.length
  const liveCount = Math.max(1, new Set([...view.live, view.me]).size)
  const quota = Math.ceil(partitions / liveCount)
  const mine: number[] = []
  const free: number[] = []
  // Each node starts looking for free partitions at its own offset, so joiners rarely race for the same one.
  for (let i = 0; i < partitions; i++) {
    const p = (startAt + i) % partitions
    const owner = view.owners[p] ?? null
    if (owner === view.me) mine.push(p)
    else if (owner === null) free.push(p)
  }
  if (mine.length > quota) return { acquire: [], release: mine.slice(quota) }
  return { acquire: free.slice(0, quota - mine.length), release: [] }
}
