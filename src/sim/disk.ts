import { assert } from '../core/assert.js';
import type { PersistOp } from '../core/protocol.js';
import type { Rng } from '../core/rng.js';

/**
 * One node's simulated disk. Writes land in a page cache (`unsynced`) in order; an fsync makes a
 * prefix of them durable. A crash keeps the durable records plus a random prefix of the page cache
 * — the kernel may have flushed some of it — and the last surviving append may be torn (only some
 * of its records made it). A `replace` is atomic (write a new file, fsync, rename).
 */
export class SimDisk {
  private durable: unknown[] = [];
  private readonly unsynced: PersistOp<unknown>[] = [];
  /** Ops ever written and ops made durable, counted since the disk was created. */
  private writtenOps = 0;
  private syncedOps = 0;

  constructor(private readonly unsyncedOpsMax: number = 1_000_000) {}

  /** The records a restarting node gets back. */
  records(): readonly unknown[] {
    return this.durable;
  }

  get unsyncedOpCount(): number {
    return this.unsynced.length;
  }

  /** The op count an fsync started now would make durable. */
  get writtenOpCount(): number {
    return this.writtenOps;
  }

  write(ops: readonly PersistOp<unknown>[]): void {
    for (const op of ops) this.unsynced.push(op);
    this.writtenOps += ops.length;
    assert(this.unsynced.length <= this.unsyncedOpsMax, 'too many unsynced disk writes');
  }

  /** Completes an fsync that was started when `writtenOps` was `upToOps`. Returns ops made durable. */
  sync(upToOps: number): number {
    if (!(upToOps <= this.writtenOps))
      assert(false, `fsync beyond the writes: ${upToOps} > ${this.writtenOps}`);
    let count = 0;
    while (this.syncedOps < upToOps) {
      const op = this.unsynced.shift();
      assert(op !== undefined, 'unsynced queue out of step with its counters');
      this.applyDurably(op);
      this.syncedOps++;
      count++;
    }
    return count;
  }

  /** Loses the page cache except a random prefix; returns how many ops were lost, whole or torn. */
  crash(rng: Rng): number {
    const pending = this.unsynced.length;
    if (pending === 0) return 0;
    const surviving = rng.int(0, pending);
    for (let index = 0; index < surviving; index++) this.applyDurably(this.unsynced[index]!);
    const lost = pending - surviving;
    const torn = this.unsynced[surviving];
    if (torn !== undefined && torn.kind === 'append' && torn.records.length > 1) {
      const keep = rng.int(0, torn.records.length - 1);
      if (keep > 0) this.applyDurably({ kind: 'append', records: torn.records.slice(0, keep) });
    }
    this.unsynced.length = 0;
    this.writtenOps = this.syncedOps = this.syncedOps + surviving;
    return lost;
  }

  private applyDurably(op: PersistOp<unknown>): void {
    if (op.kind === 'replace') this.durable = op.records.slice();
    else for (const record of op.records) this.durable.push(record);
  }
}
