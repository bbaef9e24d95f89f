import type { Ballot } from '../../core/ballot.js';
import type { ConfigValue, MultiPaxosConfig } from './config.js';

/**
 * What one slot decides: a batch of commands (batching: one Paxos decision carries many), or a new
 * configuration (config.ts), which governs the slots after it. An empty batch is a no-op, the
 * value a new leader writes into a hole nobody reported a value for.
 */
export type SlotValue<C> = readonly C[] | ConfigValue;

/** A slot's value in a proposal, without its ballot (the message carries the ballot once). */
export interface SlotProposal<C> {
  readonly slot: number;
  readonly value: SlotValue<C>;
}

/** What an acceptor accepted in one slot: Basic Paxos's `(vrnd, v)`, per slot. */
export interface AcceptedSlot<C> {
  readonly slot: number;
  readonly ballot: Ballot;
  readonly value: SlotValue<C>;
}

/**
 * Chosen state up to `slot` (log slots) and `index` (the application's entry index), with the
 * configuration in force after `slot`, so a node restored from it knows who the acceptors are.
 */
export interface LogSnapshot {
  readonly slot: number;
  readonly index: number;
  readonly data: unknown;
  readonly config: MultiPaxosConfig;
}

/**
 * The messages of Multi-Paxos. One `prepare` covers every slot from `fromSlot` on (phase 1 runs once
 * per leadership, not per slot); one `accept` carries any number of slots (pipelining and
 * retransmission) and the leader's commit slot (so followers learn what is chosen).
 */
export type MultiPaxosMessage<C> =
  /** Phase 1a for all slots ≥ fromSlot: "promise me to ignore lower ballots, tell me what you accepted". */
  | { readonly type: 'prepare'; readonly ballot: Ballot; readonly fromSlot: number }
  /**
   * Phase 1b: the promise, with every accepted slot ≥ fromSlot, and the acceptor's snapshot when
   * it compacted slots the new leader does not know chosen.
   */
  | {
      readonly type: 'promise';
      readonly ballot: Ballot;
      /** The prepare's `fromSlot`: the report covers every slot from there on. */
      readonly fromSlot: number;
      readonly accepted: readonly AcceptedSlot<C>[];
      readonly snapshot: LogSnapshot | null;
    }
  /** A prepare or accept refused: the acceptor promised `promised`, or holds a lease for `leader`. */
  | {
      readonly type: 'reject';
      readonly ballot: Ballot;
      readonly promised: Ballot;
      readonly leader: number | null;
    }
  /** Phase 2a for some slots, and the leader's commit slot. With no entries it is a heartbeat. */
  | {
      readonly type: 'accept';
      readonly ballot: Ballot;
      readonly entries: readonly SlotProposal<C>[];
      readonly commitSlot: number;
      /** The leader's latest read-barrier probe number, echoed in `accepted` (read-barrier.ts). */
      readonly probe: number;
      /** Only news of the commit slot (sent when it moved and no accept carried it): no reply. */
      readonly commitOnly?: true;
    }
  /** Phase 2b, and the follower's own chosen prefix (so the leader knows whom to catch up). */
  | {
      readonly type: 'accepted';
      readonly ballot: Ballot;
      readonly slots: readonly number[];
      readonly chosenSlot: number;
      /** The probe number of the accept this answers. */
      readonly probe: number;
    }
  /** Leader to a lagging replica: chosen values it missed, or a snapshot when they were compacted. */
  | {
      readonly type: 'catch-up';
      readonly ballot: Ballot;
      readonly chosen: readonly SlotProposal<C>[];
      readonly snapshot: LogSnapshot | null;
    };

export type MultiPaxosMessageType = MultiPaxosMessage<unknown>['type'];

/** What a node writes to disk. Restore replays them in order; a compaction replaces them all. */
export type MultiPaxosRecord<C> =
  /** The acceptor's promise (for all slots). A leader's own ballot is its own promise too. */
  | { readonly kind: 'promise'; readonly ballot: Ballot }
  /** Accepted slots. */
  | { readonly kind: 'accept'; readonly entries: readonly AcceptedSlot<C>[] }
  /** The applied state up to a slot; accepted slots at or below it are gone. */
  | { readonly kind: 'snapshot'; readonly snapshot: LogSnapshot }
  /**
   * Slots learned chosen: `slots` hold the value this node accepted there (written just before),
   * `entries` carry theirs. A restart replays them, as Raft replays its log, so a member comes back
   * knowing the configuration and the application state past its snapshot — the members added
   * since, and their addresses, included.
   */
  | {
      readonly kind: 'chosen';
      readonly slots: readonly number[];
      readonly entries: readonly SlotProposal<C>[];
    };

/** What a role hands to the node. */
export interface MultiPaxosEffects<C> {
  send(to: number, message: MultiPaxosMessage<C>): void;
  persist(record: MultiPaxosRecord<C>): void;
  note(kind: string, text: string, data?: unknown): void;
}
