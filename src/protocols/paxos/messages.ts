import type { Ballot } from '../../core/ballot.js';
import type { NodeId } from '../../core/ids.js';

/**
 * A value Paxos can choose: any JSON value, so traces record it whole and the invariant checker can
 * compare two values by their JSON text.
 */
export type PaxosValue =
  string | number | boolean | null | readonly PaxosValue[] | { readonly [key: string]: PaxosValue };

/** Compares values by content, the way the checker and the learners must. */
export function valueKey(value: PaxosValue): string {
  return JSON.stringify(value);
}

/** What an acceptor last accepted: the seeds' `v` and `vrnd`. */
export interface AcceptedProposal {
  readonly ballot: Ballot;
  readonly value: PaxosValue;
}

/**
 * The messages of single-decree Paxos. Every message names its `instance` so that protocols built on
 * Paxos (the versioned store) run many independent instances over one acceptor; single-decree
 * Paxos always uses instance 0.
 *
 * A prepare carries only a ballot, never a value: that is the difference between Lamport's Paxos
 * and the popular walk-through in seed 000 (see README.md).
 */
export type PaxosMessage =
  /** Phase 1a: "promise me to ignore every ballot below this one, and tell me what you accepted". */
  | { readonly type: 'prepare'; readonly instance: number; readonly ballot: Ballot }
  /** Phase 1b: the promise, with the acceptor's `v` and `vrnd` (null: nothing accepted yet). */
  | {
      readonly type: 'promise';
      readonly instance: number;
      readonly ballot: Ballot;
      readonly accepted: AcceptedProposal | null;
    }
  /** Phase 1b refused: the acceptor already promised `lastRnd`, which is higher. */
  | {
      readonly type: 'prepare-rejected';
      readonly instance: number;
      readonly ballot: Ballot;
      readonly lastRnd: Ballot;
    }
  /** Phase 2a: "accept this value in this ballot". */
  | {
      readonly type: 'accept';
      readonly instance: number;
      readonly ballot: Ballot;
      readonly value: PaxosValue;
    }
  /** Phase 2b, to the proposer: accepted. */
  | {
      readonly type: 'accepted';
      readonly instance: number;
      readonly ballot: Ballot;
      readonly value: PaxosValue;
    }
  /** Phase 2b refused: the acceptor promised a higher ballot, `lastRnd`. */
  | {
      readonly type: 'accept-rejected';
      readonly instance: number;
      readonly ballot: Ballot;
      readonly lastRnd: Ballot;
    }
  /** Acceptor to learner: "I accepted this value in this ballot". */
  | {
      readonly type: 'learn';
      readonly instance: number;
      readonly ballot: Ballot;
      readonly value: PaxosValue;
    }
  /** Relaying learner to the other learners: "this value is chosen". */
  | { readonly type: 'chosen'; readonly instance: number; readonly value: PaxosValue };

export type PaxosMessageType = PaxosMessage['type'];

/** What a Paxos node writes to its durable storage. The last record of each kind wins on restore. */
export type PaxosRecord =
  /** The acceptor's `lastRnd`, `v` and `vrnd` for one instance, written before any reply leaves. */
  | {
      readonly kind: 'acceptor';
      readonly instance: number;
      readonly lastRnd: Ballot;
      readonly accepted: AcceptedProposal | null;
    }
  /**
   * The highest round this node has used as a proposer. Without it a restarted proposer could reuse
   * a ballot with a different value, and two values could be accepted in one ballot.
   */
  | { readonly kind: 'proposer'; readonly round: number }
  /** A value this node learned as chosen (so a restarted learner does not forget it). */
  | { readonly kind: 'learned'; readonly instance: number; readonly value: PaxosValue };

/** Where a role puts its effects; the node collects them into a `Ready` batch. */
export interface Effects {
  send(to: NodeId, message: PaxosMessage): void;
  persist(record: PaxosRecord): void;
  note(kind: string, text: string, data?: unknown): void;
}
