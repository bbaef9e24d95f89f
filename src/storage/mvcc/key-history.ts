import type { Bytes, KeyValue } from './types.js';

/**
 * One change to a key at revision (mainRevision, subRevision): a version of the key, or a
 * tombstone (its deletion). A class, so that V8 gives the million of them one compact shape.
 */
export class StoredVersion {
  constructor(
    readonly mainRevision: number,
    readonly subRevision: number,
    /** The revision of the put that created this generation of the key; 0 for a tombstone. */
    readonly createRevision: number,
    /** 1 at creation, +1 per put; 0 for a tombstone (a deletion resets the version). */
    readonly version: number,
    readonly value: Bytes,
    readonly lease: number,
    readonly tombstone: boolean,
  ) {}
}

/**
 * A key's retained changes in ascending (mainRevision, subRevision) order. Invariant: non-empty;
 * after a compaction at C, at most one change has mainRevision <= C and it is not a tombstone.
 */
export type KeyHistory = StoredVersion[];

/** The version of the key visible at `revision`, or undefined if the key did not exist then. */
export function visibleAt(history: KeyHistory, revision: number): StoredVersion | undefined {
  // Histories are short (usually one or two changes) and reads are mostly recent: scan from the end.
  for (let index = history.length - 1; index >= 0; index--) {
    const change = history[index] as StoredVersion;
    if (change.mainRevision <= revision) return change.tombstone ? undefined : change;
  }
  return undefined;
}

/** The key's current version, or undefined when it is deleted. */
export function latest(history: KeyHistory): StoredVersion | undefined {
  const last = history[history.length - 1];
  return last === undefined || last.tombstone ? undefined : last;
}

export function toKeyValue(key: Bytes, version: StoredVersion): KeyValue {
  return {
    key,
    createRevision: version.createRevision,
    modRevision: version.mainRevision,
    version: version.version,
    value: version.value,
    lease: version.lease,
  };
}

/**
 * etcd's compaction of one key (`keyIndex.compact` and `keep`): drop every change at or below
 * `atRevision` except the latest one, and drop that one too if it is a tombstone. Returns the
 * retained changes (empty: the key disappears from the index).
 */
export function compactHistory(history: KeyHistory, atRevision: number): KeyHistory {
  let firstAbove = history.length;
  while (firstAbove > 0 && (history[firstAbove - 1] as StoredVersion).mainRevision > atRevision) {
    firstAbove--;
  }
  if (firstAbove === 0) return history;
  const kept = history[firstAbove - 1] as StoredVersion;
  const start = kept.tombstone ? firstAbove : firstAbove - 1;
  return start === 0 ? history : history.slice(start);
}
