import type { RegistryEntry } from './registry-schema.js'

/** A device that published but is not in the registry (kept whether it was accepted or rejected). */
export interface UnregisteredDevice {
  id: string
  type: string
  /** Last topic it published on. */
  topic: string
  firstSeen: number
  lastSeen: number
  messages: number
  /** False when `devices.allowUnknown` rejected its messages. */
  accepted: boolean
}

export interface RegistryOptions {
  allowUnknown: boolean
  /** Bound of the seen-but-unregistered list: when full, the first seen is forgotten first. */
  unregisteredListSize: number
  now?: () => number
}

/** What other features may ask the registry (`ctx.devices`): who is registered, with which type and tags. */
export interface RegistryView {
  get(id: string): RegistryEntry | undefined
  /** Registered type, or the type an unregistered device was last seen with. */
  typeOf(id: string): string | undefined
  entries(): readonly RegistryEntry[]
  unregistered(): UnregisteredDevice[]
  /** Metadata tags of a registered device; undefined for others. */
  tagsFor(device: string): Readonly<Record<string, string>> | undefined
  readonly allowUnknown: boolean
}

/** The device instances: ids, types and metadata tags; plus the bounded list of unregistered devices seen. */
export class DeviceRegistry implements RegistryView {
  private byId: ReadonlyMap<string, RegistryEntry>
  // Insertion order: when full, the first seen is forgotten first.
  private readonly seen = new Map<string, UnregisteredDevice>()
  private readonly now: () => number
  private readonly newcomerListeners = new Set<(device: UnregisteredDevice) => void>()

  constructor(
    entries: readonly RegistryEntry[],
    private readonly options: RegistryOptions,
  ) {
    this.byId = new Map(entries.map((e) => [e.id, e]))
    this.now = options.now ?? Date.now
  }

  /** A reloaded registry file takes effect: new entries leave the unregistered list. */
  replace(entries: readonly RegistryEntry[]): void {
    this.byId = new Map(entries.map((e) => [e.id, e]))
    for (const id of this.byId.keys()) this.seen.delete(id)
  }

  get allowUnknown(): boolean {
    return this.options.allowUnknown
  }

  get(id: string): RegistryEntry | undefined {
    return this.byId.get(id)
  }

  typeOf(id: string): string | undefined {
    return this.byId.get(id)?.type ?? this.seen.get(id)?.type
  }

  entries(): readonly RegistryEntry[] {
    return [...this.byId.values()]
  }

  /** Metadata tags for the Normalizer's `enrichTags`; undefined for unregistered devices. */
  tagsFor(device: string): Readonly<Record<string, string>> | undefined {
    return this.byId.get(device)?.tags
  }

  /**
   * Decides about a message from `device`: true when it may go on. An unregistered device is remembered
   * either way, so operators can see who is knocking.
   */
  admit(device: string, type: string, topic: string): boolean {
    if (this.byId.has(device)) return true
    this.noteUnregistered(device, type, topic)
    return this.options.allowUnknown
  }

  /** Called when a device joins the unregistered list (not on its later messages); returns the remover. */
  onNewUnregistered(listener: (device: UnregisteredDevice) => void): () => void {
    this.newcomerListeners.add(listener)
    return () => this.newcomerListeners.delete(listener)
  }

  /** Most recently seen first. */
  unregistered(): UnregisteredDevice[] {
    return [...this.seen.values()].sort((a, b) => b.lastSeen - a.lastSeen).map((u) => ({ ...u }))
  }

  private noteUnregistered(device: string, type: string, topic: string): void {
    if (this.options.unregisteredListSize === 0) return
    const t = this.now()
    const prev = this.seen.get(device)
    if (prev) {
      // Updated in place: the hot path does not reorder the Map; unregistered() sorts by lastSeen.
      prev.type = type
      prev.topic = topic
      prev.lastSeen = t
      prev.messages++
      return
    }
    if (this.seen.size >= this.options.unregisteredListSize) {
      const oldest = this.seen.keys().next().value
      if (oldest !== undefined) this.seen.delete(oldest)
    }
    const entry: UnregisteredDevice = {
      id: device,
      type,
      topic,
      firstSeen: t,
      lastSeen: t,
      messages: 1,
      accepted: this.options.allowUnknown,
    }
    this.seen.set(device, entry)
    for (const listener of this.newcomerListeners) listener(entry)
  }
}
