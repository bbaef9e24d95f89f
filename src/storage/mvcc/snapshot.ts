import { assert } from '../../core/assert.js';
import { isByteString } from './bytes.js';
import { StoredVersion } from './key-history.js';
import type { KeyHistory } from './key-history.js';
import type { KeySpace } from './key-space.js';
import type { PinnedKeySpace } from './pinned-view.js';
import type { Bytes } from './types.js';

/**
 * One retained change: [key, mainRevision, subRevision, createRevision, version, lease, value],
 * `value` null for a tombstone. Tuples rather than objects: a million keys' snapshot is a third
 * smaller as JSON and quicker to build and parse.
 */
export type SnapshotRecord = readonly [Bytes, number, number, number, number, number, Bytes | null];

/**
 * The whole replicated state of an `MvccStore`, JSON-serializable and deterministic (records in
 * key then revision order, leases by id): two replicas that applied the same commands produce
 * byte-identical JSON. `records` is a flat list so that a caller can write it in chunks.
 */
export interface MvccSnapshot {
  readonly format: 'synod-mvcc';
  readonly version: 1;
  readonly revision: number;
  /** The last compaction's revision; -1 if the store was never compacted (etcd's initial value). */
  readonly compactedRevision: number;
  /** [id, ttl] for every lease, ascending id. */
  readonly leases: readonly (readonly [number, number])[];
  readonly records: readonly SnapshotRecord[];
}

/**
 * A snapshot read a chunk at a time from a point-in-time view, while the store keeps applying:
 * the same records `snapshot()` would have returned at `revision`, in the same order.
 */
export interface MvccSnapshotReader {
  readonly revision: number;
  readonly compactedRevision: number;
  readonly leases: readonly (readonly [number, number])[];
  /** The records of about `maxKeys` more keys; an empty list once every key has been read. */
  next(maxKeys: number): SnapshotRecord[];
  /** Stops early (the view no longer follows compactions). Reading to the end closes it too. */
  close(): void;
}

export function pinnedRecords(view: PinnedKeySpace, maxKeys: number): SnapshotRecord[] {
  const records: SnapshotRecord[] = [];
  for (;;) {
    const keys = view.next(maxKeys);
    for (const [key, history] of keys) pushRecords(records, key, history);
    // Keys created after the pin yield nothing: keep reading so only the end returns [].
    if (records.length > 0 || view.done) return records;
  }
}

function pushRecords(records: SnapshotRecord[], key: Bytes, history: KeyHistory): void {
  for (const change of history) {
    const value = change.tombstone ? null : change.value;
    const { mainRevision, subRevision, createRevision, version, lease } = change;
    records.push([key, mainRevision, subRevision, createRevision, version, lease, value]);
  }
}

/** Every retained change of the key space, in key then revision order. */
export function recordsOf(space: KeySpace): SnapshotRecord[] {
  const records: SnapshotRecord[] = [];
  for (const [key, history] of space.entries()) pushRecords(records, key, history);
  return records;
}

/**
 * Checks the snapshot and groups its records back into histories, appended to `entries`, pausing
 * (yielding) after every `recordsPerStep` records; a corrupt or foreign snapshot fails an assertion
 * here, before the store is touched.
 */
export function* historiesInSteps(
  snapshot: MvccSnapshot,
  entries: [Bytes, KeyHistory][],
  recordsPerStep: number,
): Generator<void, void, undefined> {
  assert(
    snapshot.format === 'synod-mvcc' && snapshot.version === 1,
    'not a synod-mvcc version 1 snapshot',
  );
  assert(Number.isSafeInteger(snapshot.revision) && snapshot.revision >= 1, 'snapshot revision');
  assert(
    Number.isSafeInteger(snapshot.compactedRevision) &&
      snapshot.compactedRevision <= snapshot.revision,
    'snapshot compacted revision',
  );
  for (const lease of snapshot.leases) {
    assert(Array.isArray(lease) && lease.length === 2, 'snapshot lease must be [id, ttl]');
    assert(
      Number.isSafeInteger(lease[0]) && Number.isSafeInteger(lease[1]),
      'snapshot lease id and ttl',
    );
  }
  let current: [Bytes, KeyHistory] | undefined;
  let sinceStep = 0;
  for (const record of snapshot.records) {
    if (++sinceStep === recordsPerStep) {
      sinceStep = 0;
      yield;
    }
    const [key, main, sub, create, version, lease, value] = record;
    assert(isByteString(key) && key !== '', 'snapshot record with a bad key');
    assert(value === null || typeof value === 'string', 'snapshot record with a bad value');
    assert(
      [main, sub, create, version, lease].every(Number.isSafeInteger) &&
        main >= 1 &&
        main <= snapshot.revision,
      'snapshot record with bad revisions',
    );
    const change = new StoredVersion(
      main,
      sub,
      create,
      version,
      value ?? '',
      lease,
      value === null,
    );
    if (current !== undefined && current[0] === key) {
      current[1].push(change);
      continue;
    }
    assert(current === undefined || current[0] < key, 'snapshot records out of key order');
    current = [key, [change]];
    entries.push(current);
  }
}
