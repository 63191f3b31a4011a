/**
 * A binary min-heap of (time, tag) events on typed arrays: no object per event, so a run of
 * millions of requests creates no garbage. The simulator stores request completions here; the
 * heap holds only requests still in the system, so its size stays bounded in a stable system.
 * Capacity doubles when full. Ties in time pop in an unspecified but deterministic order.
 */
export class EventHeap {
  #times: Float64Array;
  #tags: Int32Array;
  #size = 0;

  constructor(initialCapacity = 1024) {
    this.#times = new Float64Array(Math.max(2, initialCapacity));
    this.#tags = new Int32Array(Math.max(2, initialCapacity));
  }

  get size(): number {
    return this.#size;
  }

  /** The earliest time in the heap, or +Infinity when it is empty (so callers compare without a branch). */
  peekTime(): number {
    return this.#size > 0 ? (this.#times[0] as number) : Number.POSITIVE_INFINITY;
  }

  push(time: number, tag: number): void {
    if (this.#size === this.#times.length) this.#grow();
    const times = this.#times;
    const tags = this.#tags;
    let i = this.#size++;
    // Sift up: move parents down until the new event's slot is found, then write it once.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent] as number;
      if (pt <= time) break;
      times[i] = pt;
      tags[i] = tags[parent] as number;
      i = parent;
    }
    times[i] = time;
    tags[i] = tag;
  }

  /** Removes the earliest event and returns its tag. Throws RangeError when empty. */
  pop(): number {
    if (this.#size === 0) throw new RangeError("pop from an empty EventHeap");
    const times = this.#times;
    const tags = this.#tags;
    const top = tags[0] as number;
    const n = --this.#size;
    const lastTime = times[n] as number;
    const lastTag = tags[n] as number;
    let i = 0;
    // Sift the former last element down from the root.
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && (times[right] as number) < (times[child] as number)) child = right;
      const ct = times[child] as number;
      if (ct >= lastTime) break;
      times[i] = ct;
      tags[i] = tags[child] as number;
      i = child;
    }
    times[i] = lastTime;
    tags[i] = lastTag;
    return top;
  }

  #grow(): void {
    const times = new Float64Array(this.#times.length * 2);
    const tags = new Int32Array(this.#tags.length * 2);
    times.set(this.#times);
    tags.set(this.#tags);
    this.#times = times;
    this.#tags = tags;
  }
}
