import type { RaftEntry, RaftSnapshot } from './messages.js';

/**
 * What a Raft node writes to durable storage, as a sequence of records:
 * - `hard-state`: term, vote and commit; the last one read wins.
 * - `entries`: log entries; restoring one first truncates every entry at or after its first index
 *   (so a follower's conflict repair is one record).
 * - `snapshot`: a snapshot; the log before it is gone. A compaction or an installed snapshot
 *   rewrites the whole durable state with a `replace` op: snapshot, hard state, remaining entries.
 */
export type RaftRecord<C> =
  | {
      readonly type: 'hard-state';
      readonly term: number;
      readonly vote: number | null;
      readonly commit: number;
    }
  | { readonly type: 'entries'; readonly entries: readonly RaftEntry<C>[] }
  | { readonly type: 'snapshot'; readonly snapshot: RaftSnapshot };

export interface RestoredState<C> {
  term: number;
  vote: number | undefined;
  commit: number;
  snapshot: RaftSnapshot | undefined;
  /** Entries in record order; each batch truncates what it overlaps. */
  entryBatches: (readonly RaftEntry<C>[])[];
}

export function readRecords<C>(records: readonly RaftRecord<C>[]): RestoredState<C> {
  const state: RestoredState<C> = {
    term: 0,
    vote: undefined,
    commit: 0,
    snapshot: undefined,
    entryBatches: [],
  };
  for (const record of records) {
    switch (record.type) {
      case 'hard-state':
        state.term = record.term;
        state.vote = record.vote ?? undefined;
        state.commit = record.commit;
        break;
      case 'entries':
        state.entryBatches.push(record.entries);
        break;
      case 'snapshot':
        state.snapshot = record.snapshot;
        state.entryBatches = [];
        break;
    }
  }
  return state;
}
