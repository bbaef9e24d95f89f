import { assert } from '../../core/assert.js';
import { latest, StoredVersion, toKeyValue, visibleAt } from './key-history.js';
import type { KeyRange, KeySpace } from './key-space.js';
import type { LeaseTable } from './lease-table.js';
import type { Bytes, KeyValue, MvccEvent } from './types.js';

/**
 * The changes of one write request or txn (etcd's storeTxnWrite): every change gets the same main
 * revision, `beginRevision + 1`, and the next sub-revision. The store's revision moves only if at
 * least one change happened, which is how a write that changes nothing keeps the revision.
 */
export class WriteBatch {
  readonly mainRevision: number;
  private subRevision = 0;
  readonly events: MvccEvent[] = [];

  constructor(
    private readonly space: KeySpace,
    private readonly leases: LeaseTable,
    readonly beginRevision: number,
  ) {
    this.mainRevision = beginRevision + 1;
  }

  get changed(): boolean {
    return this.subRevision > 0;
  }

  /** The revision a read inside this batch reports: its own writes count once there are some. */
  get readRevision(): number {
    return this.changed ? this.mainRevision : this.beginRevision;
  }

  /** The key as it is now, this batch's earlier changes included. */
  current(key: Bytes): StoredVersion | undefined {
    const history = this.space.history(key);
    return history === undefined ? undefined : latest(history);
  }

  /** The key as it was before this batch began. */
  before(key: Bytes): StoredVersion | undefined {
    const history = this.space.history(key);
    return history === undefined ? undefined : visibleAt(history, this.beginRevision);
  }

  put(key: Bytes, value: Bytes, lease: number): void {
    // Callers check leases before the first change, so a txn fails whole or not at all.
    assert(lease === 0 || this.leases.has(lease), 'put with a lease that was not checked');
    const previous = this.current(key);
    const change = new StoredVersion(
      this.mainRevision,
      this.subRevision++,
      previous === undefined ? this.mainRevision : previous.createRevision,
      previous === undefined ? 1 : previous.version + 1,
      value,
      lease,
      false,
    );
    this.space.append(key, change);
    if (previous !== undefined && previous.lease !== lease) this.leases.detach(key, previous.lease);
    this.leases.attach(key, lease);
    this.events.push(eventOf('PUT', toKeyValue(key, change), previous, key));
  }

  /** Deletes every live key of `range`; returns their versions before deletion, in key order. */
  deleteRange(range: KeyRange): KeyValue[] {
    const deleted: KeyValue[] = [];
    const keys = this.space.keys(range);
    for (const key of keys) {
      const previous = this.current(key);
      if (previous === undefined) continue;
      deleted.push(toKeyValue(key, previous));
      this.deleteKey(key, previous);
    }
    return deleted;
  }

  private deleteKey(key: Bytes, previous: StoredVersion): void {
    const tombstone = new StoredVersion(this.mainRevision, this.subRevision++, 0, 0, '', 0, true);
    this.space.append(key, tombstone);
    this.leases.detach(key, previous.lease);
    this.events.push(eventOf('DELETE', toKeyValue(key, tombstone), previous, key));
  }
}

export function eventOf(
  type: 'PUT' | 'DELETE',
  kv: KeyValue,
  previous: StoredVersion | undefined,
  key: Bytes,
): MvccEvent {
  return previous === undefined ? { type, kv } : { type, kv, prevKv: toKeyValue(key, previous) };
}
