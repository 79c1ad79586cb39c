/**
 * Reading other features' views in `ctx.services` at scrape time. Features start after the metrics
 * registry is built and may be switched off, so every reader looks its service up on each scrape and
 * yields nothing when it is absent or its view throws.
 */
export type Services = ReadonlyMap<string, unknown>

/** `services.get(key).stats` whether it is a method or a getter; null when absent or throwing. */
export function statsOf<T>(services: Services, key: string): T | null {
  const svc = services.get(key) as { stats?: T | (() => T) } | undefined
  if (!svc || svc.stats === undefined) return null
  try {
    return typeof svc.stats === 'function' ? (svc.stats as () => T)() : svc.stats
  } catch {
    return null
  }
}

/** The service object registered under a key (to read its methods and fields), or null. */
export function serviceOf<T extends object>(services: Services, key: string): T | null {
  const svc = services.get(key)
  return svc && typeof svc === 'object' ? (svc as T) : null
}

export function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}
