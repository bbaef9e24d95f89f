import type { NodeId } from './ids.js';
import type { ProtocolMessage, ProtocolNode, Ready } from './protocol.js';

/**
 * The contract shared by replicated-log engines (Raft, Multi-Paxos, ZAB, Totem…): propose a
 * command, learn committed commands in order, know the leader, get a linearizable read barrier.
 * The KV state machine (replicated-kv.ts), the server, the benchmarks and the checkers use engines
 * only through it, so engines can be swapped and compared on the same workload.
 */
export interface ReplicatedLog<
  C,
  M extends ProtocolMessage = ProtocolMessage,
  R = unknown,
> extends ProtocolNode<M, R> {
  /**
   * Offer a command to the log. False when this node cannot take proposals now (it knows no
   * leader, or it is not the leader and does not forward); the command was then dropped. True does
   * not promise commitment: the command may still be lost with a leader change.
   */
  propose(command: C): boolean;
  /** The leader this node currently follows, if any. */
  leader(): NodeId | undefined;
  /**
   * Ask for a read barrier: the engine answers with a `ReadState` once it has confirmed that
   * `index` covers every write committed before the request, so a read of the local state machine
   * at `index` or later is linearizable. False when not possible now (no leader, or the engine has
   * no barrier and reads must go through the log). A barrier may be dropped silently on a leader
   * change; the client then times out.
   */
  requestReadBarrier(readId: number): boolean;
  /** Hand the engine a snapshot of the applied state at `index`, so it may compact its log behind it. */
  compact(index: number, snapshot: unknown): void;
  ready(): LogReady<C, M, R>;
}

export interface CommittedEntry<C> {
  readonly index: number;
  /** null for entries the engine made for itself (a new leader's empty entry, a hole filled with a no-op). */
  readonly command: C | null;
}

export interface ReadState {
  readonly readId: number;
  readonly index: number;
}

export interface LogReady<C, M, R> extends Ready<M, R> {
  /**
   * The state machine must load this first: a snapshot received from the leader, or the one the
   * engine restored from disk after a restart.
   */
  snapshot?: { readonly index: number; readonly data: unknown };
  /** Newly committed entries, in index order, without gaps, to apply after `snapshot`. */
  committed: CommittedEntry<C>[];
  readStates: ReadState[];
}

export function emptyLogReady<C, M, R>(): LogReady<C, M, R> {
  return {
    persist: [],
    sync: true,
    messages: [],
    responses: [],
    notes: [],
    committed: [],
    readStates: [],
  };
}
