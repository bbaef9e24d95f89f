import type { RaftConfig } from './config.js';

/**
 * One log entry. An entry with neither `command` nor `config` is the empty entry a new leader
 * appends to commit the entries of earlier terms (§5.4.2, and the dissertation's §6.4 for reads).
 */
export interface RaftEntry<C> {
  readonly index: number;
  readonly term: number;
  readonly command?: C;
  /** A membership change: the whole configuration that takes effect when this entry commits. */
  readonly config?: RaftConfig;
}

export interface RaftSnapshot {
  readonly index: number;
  readonly term: number;
  readonly config: RaftConfig;
  /** The application's state at `index`, opaque to Raft. */
  readonly data: unknown;
}

/**
 * Messages between Raft nodes. Every message carries the sender's term; `propose` and `read-index`
 * are forwarded client requests and carry term 0, which means "no term: never compared" (etcd's
 * local messages), because a forwarded request is valid in any term.
 */
export type RaftMessage<C> =
  | {
      readonly type: 'vote-request';
      readonly term: number;
      /** A Pre-Vote asks "would you vote for me at `term`?" without anyone changing term. */
      readonly preVote: boolean;
      readonly lastIndex: number;
      readonly lastTerm: number;
      /** Sent after TimeoutNow: a leadership transfer overrides the voters' leader lease. */
      readonly transfer: boolean;
    }
  | {
      readonly type: 'vote-response';
      readonly term: number;
      readonly preVote: boolean;
      readonly granted: boolean;
    }
  | {
      readonly type: 'append';
      readonly term: number;
      readonly prevIndex: number;
      readonly prevTerm: number;
      readonly entries: readonly RaftEntry<C>[];
      readonly commit: number;
    }
  | {
      readonly type: 'append-response';
      readonly term: number;
      /** On success the follower's last index matching the leader; on reject the rejected prevIndex. */
      readonly index: number;
      readonly reject: boolean;
      /** On reject: a guess of the last index where the logs may agree, and the follower's term there. */
      readonly rejectHint: number;
      readonly hintTerm: number;
    }
  | {
      readonly type: 'heartbeat';
      readonly term: number;
      readonly commit: number;
      /** A ReadIndex round the heartbeat confirms leadership for (0: none). */
      readonly readRound: number;
      /** The leader's tick count when it sent this: the answer dates the follower's lease promise. */
      readonly sentTick: number;
    }
  | {
      readonly type: 'heartbeat-response';
      readonly term: number;
      readonly readRound: number;
      readonly sentTick: number;
    }
  | { readonly type: 'snapshot'; readonly term: number; readonly snapshot: RaftSnapshot }
  | { readonly type: 'timeout-now'; readonly term: number }
  | {
      readonly type: 'propose';
      readonly term: 0;
      /** The term of the leader it is meant for: a copy that reaches a later leader is dropped. */
      readonly leaderTerm: number;
      /** Unique per sender, so the leader appends a duplicated message only once. */
      readonly batchId: number;
      readonly commands: readonly C[];
    }
  | { readonly type: 'read-index'; readonly term: 0; readonly readIds: readonly number[] }
  | {
      readonly type: 'read-index-response';
      readonly term: number;
      readonly readId: number;
      readonly index: number;
    };

export type RaftMessageType = RaftMessage<unknown>['type'];

/** Messages that only a leader sends: receiving one at the current term names the leader. */
export function isFromLeader(type: RaftMessageType): boolean {
  return type === 'append' || type === 'heartbeat' || type === 'snapshot';
}

/**
 * Messages a leader may send before its own copy of the entries they follow is durable: the
 * leader writes to its disk in parallel with replicating to its followers (Raft dissertation
 * §10.2.1; etcd's raftNode does the same). Its term was made durable before it could win, and
 * a follower acknowledges only what it has itself persisted, so a commit still needs a quorum of
 * durable copies if the leader's own write is lost. Everything else (votes, acknowledgements)
 * waits for this node's write.
 */
export function mayPrecedeOwnWrite(type: RaftMessageType): boolean {
  return type === 'append' || type === 'heartbeat';
}

type Fields = Record<string, 'number' | 'boolean' | 'array' | 'object'>;

const FIELDS: Record<RaftMessageType, Fields> = {
  'vote-request': {
    term: 'number',
    preVote: 'boolean',
    lastIndex: 'number',
    lastTerm: 'number',
    transfer: 'boolean',
  },
  'vote-response': { term: 'number', preVote: 'boolean', granted: 'boolean' },
  append: {
    term: 'number',
    prevIndex: 'number',
    prevTerm: 'number',
    entries: 'array',
    commit: 'number',
  },
  'append-response': {
    term: 'number',
    index: 'number',
    reject: 'boolean',
    rejectHint: 'number',
    hintTerm: 'number',
  },
  heartbeat: { term: 'number', commit: 'number', readRound: 'number', sentTick: 'number' },
  'heartbeat-response': { term: 'number', readRound: 'number', sentTick: 'number' },
  snapshot: { term: 'number', snapshot: 'object' },
  'timeout-now': { term: 'number' },
  propose: { term: 'number', leaderTerm: 'number', batchId: 'number', commands: 'array' },
  'read-index': { term: 'number', readIds: 'array' },
  'read-index-response': { term: 'number', readId: 'number', index: 'number' },
};

function hasShape(value: unknown, kind: Fields[string]): boolean {
  switch (kind) {
    case 'number':
      return Number.isSafeInteger(value) && (value as number) >= 0;
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null;
  }
}

function isEntry(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return hasShape(entry.index, 'number') && hasShape(entry.term, 'number');
}

/**
 * A cheap structural check, so a malformed message from the network is ignored rather than
 * thrown on (the contract of `step`). Entries must be consecutive, as every sender makes them.
 */
export function isWellFormed(message: unknown): message is RaftMessage<unknown> {
  if (typeof message !== 'object' || message === null) return false;
  const fields = FIELDS[(message as { type?: unknown }).type as RaftMessageType];
  if (fields === undefined) return false;
  const record = message as Record<string, unknown>;
  for (const [name, kind] of Object.entries(fields))
    if (!hasShape(record[name], kind)) return false;
  if (record.type === 'append') {
    const entries = record.entries as unknown[];
    const prevIndex = record.prevIndex as number;
    return entries.every(
      (entry, position) =>
        isEntry(entry) && (entry as RaftEntry<unknown>).index === prevIndex + 1 + position,
    );
  }
  if (record.type === 'snapshot') {
    const snapshot = record.snapshot as Record<string, unknown>;
    return (
      hasShape(snapshot.index, 'number') &&
      hasShape(snapshot.term, 'number') &&
      hasShape(snapshot.config, 'object')
    );
  }
  return true;
}
