/** What a stateful operator (windowBy, deadman) offers for a cluster snapshot of its per-key state. */
export interface KeyedStateCodec {
  /** The key's state as a JSON value; undefined when it has none. */
  save(key: string): unknown
  /** Continues a key from a saved value (another node saved it). */
  restore(key: string, state: unknown): void
  /** Drops a key without emitting anything (its cluster partition moved away). */
  forget(key: string): void
}

interface Attached {
  codec: KeyedStateCodec
  /** Per key: the tag (cluster partition) of the last value it saw. */
  tags: Map<string, number>
}

/** Where the tag of the event being handled comes from: null while there is no cluster (nothing tagged). */
export interface StateTagSource {
  stateTag: (() => number | undefined) | null
}

/** One operator's handle: `touch` after each value of a key, `detach` at teardown. */
export interface KeyedStateHandle {
  touch(key: string): void
  /** Tags a key without a value (a restored key). */
  tag(key: string, tag: number): void
  detach(): void
}

/**
 * The per-key state of one rule's windowBy and deadman operators, by operator id (`window0`, `deadman0`,
 * in the order the rule's pipeline creates them: the same on every node running the same rule file).
 * Each key is tagged with its cluster partition (the partition of the event being handled when the key
 * last saw a value), so a node can save, restore or forget the keys of one partition. Without a cluster
 * there is no tag and `touch` does nothing.
 */
export class KeyedStateRegistry {
  private seq = 0
  private readonly attached = new Map<string, Attached>()

  constructor(
    /** The partition of the event being handled (set by the cluster feature on the engine). */
    private readonly source: StateTagSource,
  ) {}

  /** An id for an operator created while the rule's pipeline is built. */
  nextId(kind: string): string {
    return `${kind}${this.seq++}`
  }

  attach(id: string, codec: KeyedStateCodec): KeyedStateHandle {
    const entry: Attached = { codec, tags: new Map() }
    // A resubscribed pipeline (after an error) replaces the operator's previous state.
    this.attached.set(id, entry)
    return {
      touch: (key) => {
        // The hot path without a cluster: one property read.
        const current = this.source.stateTag
        if (current === null) return
        const tag = current()
        if (tag !== undefined) entry.tags.set(key, tag)
      },
      tag: (key, tag) => void entry.tags.set(key, tag),
      detach: () => {
        if (this.attached.get(id) === entry) this.attached.delete(id)
      },
    }
  }

  /** The saved state of every key tagged `tag`: [operator id, key, state]. */
  save(tag: number): [string, string, unknown][] {
    const out: [string, string, unknown][] = []
    for (const [id, { codec, tags }] of this.attached)
      for (const [key, t] of tags) {
        if (t !== tag) continue
        const state = codec.save(key)
        if (state !== undefined) out.push([id, key, state])
      }
    return out
  }

  /** Restores one key of one operator (unknown operators are skipped: the rule changed). */
  restore(id: string, key: string, state: unknown, tag: number): boolean {
    const entry = this.attached.get(id)
    if (!entry) return false
    entry.codec.restore(key, state)
    entry.tags.set(key, tag)
    return true
  }

  /** Drops every key tagged `tag`, silently. */
  forget(tag: number): void {
    for (const { codec, tags } of this.attached.values())
      for (const [key, t] of tags) {
        if (t !== tag) continue
        tags.delete(key)
        codec.forget(key)
      }
  }

  /** The partition a key of this rule was last seen in, if any operator knows it. */
  tagOf(key: string): number | undefined {
    for (const { tags } of this.attached.values()) {
      const t = tags.get(key)
      if (t !== undefined) return t
    }
    return undefined
  }
}
