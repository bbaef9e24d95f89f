import { assert } from '../../core/assert.js';
import type { Bytes } from './types.js';

/** Keys per chunk before it splits; 2x this is the most a chunk holds, so an insert moves at most that many. */
const CHUNK_KEYS_TARGET = 512;

/**
 * The ordered key index: a sorted set of byte strings kept as a list of sorted chunks (a two-level
 * B-tree). Lookup is two binary searches, insert or delete moves at most one chunk's keys, and a
 * scan walks chunks in order — so point reads and range scans cost O(log n + k), never a scan of
 * the whole key space. JavaScript's `<` on byte strings is unsigned byte order.
 *
 * Invariant: every chunk is non-empty and sorted, and each chunk's last key < the next one's first.
 */
export class SortedKeys {
  private chunks: Bytes[][] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Builds the index from keys already in strictly ascending order (a snapshot) in O(n). */
  static fromSorted(keys: readonly Bytes[]): SortedKeys {
    const index = new SortedKeys();
    for (let start = 0; start < keys.length; start += CHUNK_KEYS_TARGET) {
      index.chunks.push(keys.slice(start, start + CHUNK_KEYS_TARGET));
    }
    for (let position = 1; position < keys.length; position++) {
      assert((keys[position - 1] as Bytes) < (keys[position] as Bytes), 'keys must be ascending');
    }
    index.count = keys.length;
    return index;
  }

  /** Adds `key`; returns false when it was already there. */
  insert(key: Bytes): boolean {
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      this.count = 1;
      return true;
    }
    const chunkIndex = this.chunkFor(key);
    const chunk = this.chunks[chunkIndex] as Bytes[];
    const position = lowerBound(chunk, key);
    if (chunk[position] === key) return false;
    chunk.splice(position, 0, key);
    this.count++;
    if (chunk.length > 2 * CHUNK_KEYS_TARGET) {
      this.chunks.splice(chunkIndex + 1, 0, chunk.splice(CHUNK_KEYS_TARGET));
    }
    return true;
  }

  /** Removes `key`; returns false when it was not there. */
  delete(key: Bytes): boolean {
    if (this.chunks.length === 0) return false;
    const chunkIndex = this.chunkFor(key);
    const chunk = this.chunks[chunkIndex] as Bytes[];
    const position = lowerBound(chunk, key);
    if (chunk[position] !== key) return false;
    chunk.splice(position, 1);
    this.count--;
    if (chunk.length === 0) this.chunks.splice(chunkIndex, 1);
    return true;
  }

  /** Keys in [start, end) in ascending order; `end` undefined means no upper bound. */
  *range(start: Bytes, end: Bytes | undefined): Generator<Bytes> {
    if (this.chunks.length === 0) return;
    let chunkIndex = this.chunkFor(start);
    let position = lowerBound(this.chunks[chunkIndex] as Bytes[], start);
    for (; chunkIndex < this.chunks.length; chunkIndex++, position = 0) {
      const chunk = this.chunks[chunkIndex] as Bytes[];
      for (; position < chunk.length; position++) {
        const key = chunk[position] as Bytes;
        if (end !== undefined && key >= end) return;
        yield key;
      }
    }
  }

  /**
   * Calls `visit` with the keys in [start, end) in ascending order until it returns false; `end`
   * undefined means no upper bound. A plain loop, not a generator: scans are the hot path of reads.
   */
  scan(start: Bytes, end: Bytes | undefined, visit: (key: Bytes) => boolean | void): void {
    if (this.chunks.length === 0) return;
    let chunkIndex = this.chunkFor(start);
    let position = lowerBound(this.chunks[chunkIndex] as Bytes[], start);
    for (; chunkIndex < this.chunks.length; chunkIndex++, position = 0) {
      const chunk = this.chunks[chunkIndex] as Bytes[];
      for (; position < chunk.length; position++) {
        const key = chunk[position] as Bytes;
        if (end !== undefined && key >= end) return;
        if (visit(key) === false) return;
      }
    }
  }

  /** The chunk where `key` is or would be inserted: the last chunk whose first key <= key. */
  private chunkFor(key: Bytes): number {
    let low = 0;
    let high = this.chunks.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (((this.chunks[middle] as Bytes[])[0] as Bytes) <= key) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}

/** The first position in sorted `keys` whose key >= `key`. */
function lowerBound(keys: readonly Bytes[], key: Bytes): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((keys[middle] as Bytes) < key) low = middle + 1;
    else high = middle;
  }
  return low;
}
