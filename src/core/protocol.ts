import type { Clock } from './clock.js';
import type { NodeId } from './ids.js';
import type { KvOp, KvResult } from './kv.js';
import type { Rng } from './rng.js';

/**
 * The protocol-node contract (DESIGN.md, "the heart"). A node has no I/O: inputs arrive through
 * `step`, `tick` and client requests; effects leave through `ready()`, which drains everything the
 * node produced since the last call. The driver (simulator, server, visualizer) must:
 *
 *   1. apply `persist` to the node's durable storage, in order, and — when `sync` is true — make it
 *      durable (fsync) before anything else in this batch leaves the node;
 *   2. then send `messages` and release `responses` and `notes`.
 *
 * This is etcd-io/raft's Ready contract; draining is the acknowledgment (there is no separate
 * `advance`).
 */
export interface ProtocolNode<M extends ProtocolMessage = ProtocolMessage, R = unknown> {
  readonly id: NodeId;
  /** Deliver a message from a peer. Unknown, stale or malformed messages are ignored, never thrown on. */
  step(from: NodeId, message: M): void;
  /** One logical clock tick. The driver decides how much real or virtual time a tick is. */
  tick(): void;
  /** A client request (KV protocols only; see `ProtocolDefinition.serves`). */
  request?(request: ClientRequest): void;
  /** True when `ready()` would return a non-empty batch. */
  hasReady(): boolean;
  /** Drain the batch of effects produced since the last call. */
  ready(): Ready<M, R>;
  /** A JSON-serializable summary for traces, checkers and the visualizer. */
  inspect(): NodeInspection;
}

/** Every message is a plain JSON-serializable object with a `type`, so traces can record it whole. */
export interface ProtocolMessage {
  readonly type: string;
}

export interface Envelope<M> {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly message: M;
}

/**
 * A durable write. `replace` swaps the whole durable state atomically (snapshot, rename, fsync).
 * A `background` replace only restates what the earlier ops already made durable (a compaction:
 * the snapshot of applied entries plus the log after it), so a store may write it after the batch
 * is released, as long as it keeps every older record until the replacement is durable; treating
 * it as a plain replace is always correct.
 */
export type PersistOp<R> =
  | { readonly kind: 'append'; readonly records: readonly R[] }
  | { readonly kind: 'replace'; readonly records: readonly R[]; readonly background?: boolean };

export interface Ready<M, R> {
  persist: PersistOp<R>[];
  /**
   * Whether `persist` must be durable before the batch leaves. Always true in safe protocols;
   * unsafe variants such as "reply before persist" set it to false, and then a crash may lose the
   * writes that the messages already announced.
   */
  sync: boolean;
  messages: Envelope<M>[];
  responses: ClientResponse[];
  /** Protocol events worth a line in the trace: "chosen 8", "committed 12", "delivered m3". */
  notes: ProtocolNote[];
}

export interface ProtocolNote {
  readonly kind: string;
  readonly text: string;
  readonly data?: unknown;
}

export function emptyReady<M, R>(): Ready<M, R> {
  return { persist: [], sync: true, messages: [], responses: [], notes: [] };
}

export function isReadyEmpty(ready: Ready<unknown, unknown>): boolean {
  return (
    ready.persist.length === 0 &&
    ready.messages.length === 0 &&
    ready.responses.length === 0 &&
    ready.notes.length === 0
  );
}

/** A client operation on the KV state machine, with an id unique within the run. */
export interface ClientRequest {
  readonly id: number;
  readonly op: KvOp;
}

/**
 * `ok`: the operation took effect (with its result). `fail`: it definitely did not take effect
 * (e.g. "not the leader", or a cas whose compare failed is `ok` with `succeeded: false`, not a
 * fail). A request that is never answered is indeterminate to the client.
 */
export type ClientResponse =
  | { readonly id: number; readonly outcome: 'ok'; readonly result: KvResult }
  | {
      readonly id: number;
      readonly outcome: 'fail';
      readonly error: string;
      readonly leaderHint?: NodeId;
    };

/** What the trace and the visualizer show of a node at a glance. */
export interface NodeInspection {
  /** e.g. follower, candidate, leader; proposer, acceptor; the protocol's own words. */
  readonly role: string;
  /** The protocol's epoch: Raft's term, Paxos's ballot, ZAB's epoch, Totem's ring id. */
  readonly epoch?: { readonly name: string; readonly value: string | number };
  /** The leader this node believes in, if the protocol has one. */
  readonly leader?: NodeId | null;
  /** The protocol's full visible state, for the visualizer (logs, promises, token position…). */
  readonly state: Readonly<Record<string, unknown>>;
}

/** Everything a node gets at creation. */
export interface NodeContext<R> {
  readonly id: NodeId;
  /** The initial membership, this node included. */
  readonly members: readonly NodeId[];
  readonly variant: string;
  /** This node's own random stream (election jitter, backoff). */
  readonly rng: Rng;
  /** This node's local clock (only lease protocols should read it; it may drift from true time). */
  readonly clock: Clock;
  /** The durable records that survived the last crash, in order; empty on first boot. */
  readonly restored: readonly R[];
  /** Protocol-specific options (timeouts in ticks, batch sizes…), validated by the protocol. */
  readonly options: Readonly<Record<string, unknown>>;
}

export interface VariantInfo {
  readonly name: string;
  readonly unsafe: boolean;
  readonly description: string;
}

/** A stateful checker that sees the cluster after every simulator event and remembers history. */
export interface InvariantChecker<N> {
  /** Returns a description of the broken invariant, or undefined when all hold. */
  check(view: ClusterView<N>): InvariantViolation | undefined;
}

export interface InvariantViolation {
  readonly invariant: string;
  readonly message: string;
  readonly nodes?: readonly NodeId[];
}

export interface ClusterView<N> {
  readonly timeUs: number;
  /** Every member; `node` is undefined while it is crashed. */
  readonly nodes: readonly { readonly id: NodeId; readonly node: N | undefined }[];
}

/** A protocol as the simulator, the CLI and the visualizer know it. */
export interface ProtocolDefinition<
  M extends ProtocolMessage = ProtocolMessage,
  R = unknown,
  N extends ProtocolNode<M, R> = ProtocolNode<M, R>,
> {
  readonly name: string;
  readonly summary: string;
  /** The first variant is `default`, the safe protocol. */
  readonly variants: readonly VariantInfo[];
  /** `kv`: nodes accept `request()` and the client history is checked for linearizability. */
  readonly serves: 'kv' | 'none';
  readonly defaultNodes: number;
  create(context: NodeContext<R>): N;
  createInvariantChecker(variant: string): InvariantChecker<N>;
}
