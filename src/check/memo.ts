import { assert } from '../core/assert.js';

/**
 * The search's memo: a set of (linearized-set fingerprint, state) pairs, as an open-addressing hash
 * table over 32-bit words. Each entry is the four fingerprint words and the state's number (states
 * are interned by their exact key), so a lookup allocates nothing; a `Set` of strings spent most
 * of its time in the garbage collector on long histories.
 */
export class SearchMemo {
  /** Five words per slot: h0, h1, h2, h3, state number + 1 (0 marks an empty slot). */
  private table = new Int32Array(5 * 1024);
  private capacity = 1024;
  private size = 0;
  private readonly stateNumbers = new Map<string, number>();
  private stateChars = 0;

  /** Pairs stored. */
  get entries(): number {
    return this.size;
  }

  /** Characters of the distinct state keys interned: the other half of the memo's memory. */
  get stateKeyChars(): number {
    return this.stateChars;
  }

  /** Adds the pair; false if it was there already. */
  add(h0: number, h1: number, h2: number, h3: number, stateKey: string): boolean {
    let state = this.stateNumbers.get(stateKey);
    if (state === undefined) {
      state = this.stateNumbers.size + 1;
      this.stateNumbers.set(stateKey, state);
      this.stateChars += stateKey.length;
    }
    if ((this.size + 1) * 2 > this.capacity) this.grow();
    const inserted = this.insert(this.table, this.capacity, h0 | 0, h1 | 0, h2 | 0, h3 | 0, state);
    if (inserted) this.size++;
    return inserted;
  }

  private insert(
    table: Int32Array,
    capacity: number,
    h0: number,
    h1: number,
    h2: number,
    h3: number,
    state: number,
  ): boolean {
    const mask = capacity - 1;
    let slot = (h0 ^ Math.imul(state, 0x9e3779b1)) & mask;
    for (;;) {
      const base = slot * 5;
      const occupant = table[base + 4] as number;
      if (occupant === 0) {
        table[base] = h0;
        table[base + 1] = h1;
        table[base + 2] = h2;
        table[base + 3] = h3;
        table[base + 4] = state;
        return true;
      }
      if (
        occupant === state &&
        table[base] === h0 &&
        table[base + 1] === h1 &&
        table[base + 2] === h2 &&
        table[base + 3] === h3
      )
        return false;
      slot = (slot + 1) & mask;
    }
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    assert(capacity <= 2 ** 27, 'the search memo outgrew its bound');
    const table = new Int32Array(5 * capacity);
    const old = this.table;
    for (let slot = 0; slot < this.capacity; slot++) {
      const base = slot * 5;
      const state = old[base + 4] as number;
      if (state !== 0)
        this.insert(
          table,
          capacity,
          old[base] as number,
          old[base + 1] as number,
          old[base + 2] as number,
          old[base + 3] as number,
          state,
        );
    }
    this.table = table;
    this.capacity = capacity;
  }
}
