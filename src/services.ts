/**
 * Typed service keys: a feature that offers a read-only view to others (the status page, tests, the CLI)
 * exports a key next to the view's type; readers get that type back, with no cast and no string that a
 * rename elsewhere could silently break.
 *
 *   export const SERIAL = new ServiceKey<SerialService>('serial')   // in the feature's folder
 *   ctx.services.set(SERIAL, view)                                  // the feature, at start
 *   ctx.services.get(SERIAL)?.stats()                               // anyone
 */
export class ServiceKey<T> {
  /** Carries T for the type checker only. */
  declare readonly type: T
  constructor(readonly name: string) {}
}

export class Services {
  private readonly byKey = new Map<ServiceKey<unknown>, unknown>()

  set<T>(key: ServiceKey<T>, service: T): void {
    this.byKey.set(key, service)
  }

  get<T>(key: ServiceKey<T>): T | undefined {
    // Only set() writes here, with the value's type tied to its key.
    return this.byKey.get(key) as T | undefined
  }
}
