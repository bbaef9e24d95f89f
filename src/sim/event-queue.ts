import { assert } from '../core/assert.js';

/**
 * A binary min-heap of events ordered by (time, insertion sequence). The sequence breaks every tie,
 * so two events at the same microsecond always run in the order they were scheduled: nothing is
 * left to the heap's internal layout, and runs replay exactly.
 *
 * The heap is on the simulator's hot path (one push and one pop per delivery), so it avoids
 * closures and compares with inlined arithmetic.
 */
export interface Scheduled {
  timeUs: number;
  seq: number;
}

export class EventQueue<E extends Scheduled> {
  private readonly heap: E[] = [];
  private nextSeq = 0;

  constructor(private readonly sizeMax: number = 10_000_000) {}

  get size(): number {
    return this.heap.length;
  }

  /** Stamps `event.seq` and inserts it. (Hot-path asserts build their message only on failure.) */
  push(event: E): void {
    if (!(this.heap.length < this.sizeMax))
      assert(false, `event queue full (${this.sizeMax} events)`);
    event.seq = this.nextSeq++;
    const heap = this.heap;
    let index = heap.length;
    heap.push(event);
    const timeUs = event.timeUs;
    const seq = event.seq;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex] as E;
      if (parent.timeUs < timeUs || (parent.timeUs === timeUs && parent.seq < seq)) break;
      heap[index] = parent;
      index = parentIndex;
    }
    heap[index] = event;
  }

  peek(): E | undefined {
    return this.heap[0];
  }

  pop(): E | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop() as E;
    const size = heap.length;
    if (size === 0) return top;
    // Sift `last` down from the root.
    const timeUs = last.timeUs;
    const seq = last.seq;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= size) break;
      const right = left + 1;
      let child = left;
      let childEvent = heap[left] as E;
      if (right < size) {
        const rightEvent = heap[right] as E;
        if (
          rightEvent.timeUs < childEvent.timeUs ||
          (rightEvent.timeUs === childEvent.timeUs && rightEvent.seq < childEvent.seq)
        ) {
          child = right;
          childEvent = rightEvent;
        }
      }
      if (timeUs < childEvent.timeUs || (timeUs === childEvent.timeUs && seq < childEvent.seq))
        break;
      heap[index] = childEvent;
      index = child;
    }
    heap[index] = last;
    return top;
  }
}
