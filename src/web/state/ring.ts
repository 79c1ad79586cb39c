/** A bounded list that forgets its oldest entry when full: the "last N" of the status page. */
export class Ring<T> {
  private readonly items: (T | undefined)[]
  private next = 0
  private count = 0

  constructor(readonly capacity: number) {
    this.items = new Array(capacity)
  }

  push(item: T): void {
    this.items[this.next] = item
    this.next = (this.next + 1) % this.capacity
    if (this.count < this.capacity) this.count++
  }

  get size(): number {
    return this.count
  }

  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = []
    const start = (this.next - this.count + this.capacity) % this.capacity
    for (let i = 0; i < this.count; i++) out.push(this.items[(start + i) % this.capacity] as T)
    return out
  }

  /** Newest first, at most `n`. */
  latest(n = this.count): T[] {
    const out: T[] = []
    for (let i = 1; i <= Math.min(n, this.count); i++)
      out.push(this.items[(this.next - i + this.capacity) % this.capacity] as T)
    return out
  }
}
