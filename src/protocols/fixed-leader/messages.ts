import type { KvCommand } from '../../core/replicated-kv.js';

/**
 * One log slot. `epoch` is the leader's boot count when it appended the entry: together with the
 * index it names the entry, so two logs agree at an index exactly when the epochs there are equal.
 */
export interface LogEntry {
  readonly index: number;
  readonly epoch: number;
  readonly command: KvCommand | null;
}

/** The leader's only request: "here are entries after (prevIndex, prevEpoch); this much is committed". */
export interface AppendMessage {
  readonly type: 'append';
  readonly epoch: number;
  readonly prevIndex: number;
  readonly prevEpoch: number;
  readonly entries: readonly LogEntry[];
  readonly commitIndex: number;
}

/**
 * A follower's answer. `ok`: its log matches the leader's through `matchIndex`, durably. Not ok:
 * its log does not reach or does not match `prevIndex`; `lastIndex` says where to retry from.
 */
export interface AppendReplyMessage {
  readonly type: 'append-reply';
  readonly epoch: number;
  readonly ok: boolean;
  readonly matchIndex: number;
  readonly lastIndex: number;
}

export type FixedLeaderMessage = AppendMessage | AppendReplyMessage;

/** What a node writes to its disk: its log entries, and the highest epoch it has known. */
export type FixedLeaderRecord =
  | { readonly kind: 'epoch'; readonly epoch: number }
  | { readonly kind: 'entry'; readonly entry: LogEntry };
