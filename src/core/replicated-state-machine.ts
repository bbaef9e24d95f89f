import { assert } from './assert.js';
import type { NodeId } from './ids.js';
import type { NodeInspection, ProtocolMessage, Ready } from './protocol.js';
import type { CommittedEntry, LogReady, ReadState, ReplicatedLog } from './replicated-log.js';

/** What a replicated state machine puts in the log: the operation and who must answer the client. */
export interface LogCommand<Op> {
  readonly origin: NodeId;
  readonly requestId: number;
  readonly op: Op;
}

/**
 * The application a `ReplicatedStateMachine` drives (hashicorp/raft's FSM plus a read path).
 * `apply` runs committed operations in log order; `read` serves a read-only operation from the
 * local state once a read barrier says it is linearizable. Called from one driver thread only.
 */
export interface ReplicatedApplication<Op, Res> {
  /** True for operations that may be served after a read barrier instead of through the log. */
  isReadOnly(op: Op): boolean;
  /** A committed operation, at log index `index`. */
  apply(op: Op, index: number): Res;
  /** A read-only operation, served locally. */
  read(op: Op): Res;
  /**
   * The whole state, as JSON-serializable data, for the engine to compact its log behind: a copy
   * that later applies do not change (it may be held for a while before the engine gets it).
   */
  snapshot(): unknown;
  /** Replaces the state with a snapshot's data (from the leader, or from disk after a restart). */
  restore(data: unknown): void;
  /**
   * Optional: `snapshot()` built over several turns of the driver's event loop. The state it
   * describes is the one at the call (the application pins it synchronously); applies may go on
   * meanwhile. When present, the state machine uses it instead of `snapshot()`.
   */
  snapshotAsync?(): Promise<unknown>;
  /**
   * Optional: `restore(data)` over several turns of the driver's event loop. Until it resolves the
   * state machine applies nothing more and serves no read, and `appliedIndex` stays where it was;
   * the committed entries and read states that arrive meanwhile wait, in order.
   */
  restoreAsync?(data: unknown): Promise<void>;
  /** Optional: the approximate size of an operation in the log, for `snapshotEveryBytes`. */
  commandBytes?(op: Op): number;
}

export interface ReplicatedRequest<Op> {
  readonly id: number;
  readonly op: Op;
}

/** `ok`: the operation took effect; `fail`: it definitely did not (e.g. "not the leader"). */
export type ReplicatedResponse<Res> =
  | { readonly id: number; readonly outcome: 'ok'; readonly result: Res }
  | {
      readonly id: number;
      readonly outcome: 'fail';
      readonly error: string;
      readonly leaderHint?: NodeId;
    };

export type ReplicatedReady<M, R, Res> = Omit<Ready<M, R>, 'responses'> & {
  responses: ReplicatedResponse<Res>[];
};

export interface ReplicatedStateMachineOptions {
  /** Compact the engine's log after this many applied entries (0: never). */
  readonly snapshotEveryEntries: number;
  /**
   * Also compact once the operations applied since the last snapshot weigh this many bytes, by
   * the application's `commandBytes` (0 or absent: entries only).
   */
  readonly snapshotEveryBytes?: number;
  /** Upper bound on requests waiting at this node for their command or barrier. */
  readonly pendingRequestsMax: number;
  /**
   * Compact one snapshot period behind: each snapshot is held until the next is taken, and only
   * then handed to the engine, so the log keeps between one and two periods of entries. A follower
   * that lags (a quorum commits without it) then catches up from entries rather than receiving and
   * restoring the whole state, as etcd keeps 5,000 entries after its snapshots. Off by default.
   */
  readonly compactOnePeriodBehind?: boolean;
  /**
   * At most this many committed entries applied per `ready()`; the rest wait for the next one
   * (`hasReady` stays true), so a driver can yield between batches while a restarted node replays
   * a long log. Absent: no limit.
   */
  readonly appliedPerReadyMax?: number;
}

/**
 * Any application driven by any `ReplicatedLog` engine: writes (and reads, when the engine has no
 * read barrier) go through the log; the node that received the request answers it when it applies
 * the command. Reads with a barrier are served locally once the barrier's index is applied.
 * `ReplicatedKv` is this with the KV state machine; the server uses it with the MVCC store.
 */
export class ReplicatedStateMachine<Op, Res, M extends ProtocolMessage, R> {
  readonly id: NodeId;
  private applied = 0;
  private appliedSinceSnapshot = 0;
  private bytesSinceSnapshot = 0;
  /** An asynchronous snapshot being built, then its result waiting for the next `ready()`. */
  private snapshotInFlight = false;
  private builtSnapshot: { index: number; data: unknown } | undefined;
  private snapshotFailure: unknown;
  /** Bumped by every restore: a snapshot built from the state before it is stale. */
  private restores = 0;
  /** With compactOnePeriodBehind: the last snapshot taken, not yet given to the engine. */
  private heldSnapshot: { readonly index: number; readonly data: unknown } | undefined;
  /** Requests proposed through the log, answered when their command is applied here. */
  private readonly awaitingApply = new Map<number, ReplicatedRequest<Op>>();
  /** Reads waiting for their barrier (`index` unknown) or for the applied index to reach it. */
  private readonly awaitingRead = new Map<
    number,
    { request: ReplicatedRequest<Op>; index: number | undefined }
  >();
  private responses: ReplicatedResponse<Res>[] = [];
  /**
   * What the engine delivered (a snapshot, committed entries, read states) that is not applied
   * yet — a snapshot is being restored (`restoreAsync`), or `appliedPerReadyMax` was reached — in
   * delivery order.
   */
  private readonly deferred: Pick<
    LogReady<LogCommand<Op>, M, R>,
    'snapshot' | 'committed' | 'readStates'
  >[] = [];
  /** An asynchronous restore is running (`restoreAsync`). */
  private restoring = false;
  private restoration: Promise<void> = Promise.resolve();
  /** The index of the snapshot an asynchronous restore finished, for the next `ready()`. */
  private restoredIndex: number | undefined;

  constructor(
    readonly engine: ReplicatedLog<LogCommand<Op>, M, R>,
    readonly application: ReplicatedApplication<Op, Res>,
    private readonly options: ReplicatedStateMachineOptions,
  ) {
    this.id = engine.id;
  }

  /** The index of the last log entry applied to the application. */
  get appliedIndex(): number {
    return this.applied;
  }

  /**
   * Resolves once no asynchronous restore runs (finished or failed; a failure is thrown by the next
   * `ready()`); the next `ready()` then applies what waited for it.
   */
  untilRestored(): Promise<void> {
    return this.restoration;
  }

  /** Requests waiting here for their command to apply or their read barrier. */
  get pendingRequests(): number {
    return this.awaitingApply.size + this.awaitingRead.size;
  }

  step(from: NodeId, message: M): void {
    this.engine.step(from, message);
  }

  tick(): void {
    this.engine.tick();
  }

  request(request: ReplicatedRequest<Op>): void {
    if (this.pendingRequests >= this.options.pendingRequestsMax) {
      this.fail(request.id, 'too many pending requests');
      return;
    }
    if (this.application.isReadOnly(request.op) && this.engine.requestReadBarrier(request.id)) {
      this.awaitingRead.set(request.id, { request, index: undefined });
      return;
    }
    if (this.engine.propose({ origin: this.id, requestId: request.id, op: request.op })) {
      this.awaitingApply.set(request.id, request);
      return;
    }
    this.fail(request.id, 'not the leader', this.engine.leader());
  }

  /**
   * Forgets a request the client gave up on (a timeout), so it no longer counts against
   * `pendingRequestsMax`. Its command may still commit and apply; nobody is answered.
   */
  abandon(id: number): void {
    this.awaitingApply.delete(id);
    this.awaitingRead.delete(id);
  }

  hasReady(): boolean {
    return (
      this.engine.hasReady() ||
      this.responses.length > 0 ||
      this.builtSnapshot !== undefined ||
      this.snapshotFailure !== undefined ||
      this.restoredIndex !== undefined ||
      (!this.restoring && this.deferred.length > 0)
    );
  }

  ready(): ReplicatedReady<M, R, Res> {
    if (this.snapshotFailure !== undefined) throw this.snapshotFailure;
    if (this.builtSnapshot !== undefined) {
      const built = this.builtSnapshot;
      this.builtSnapshot = undefined;
      this.snapshotTaken(built.index, built.data);
    }
    const batch = this.engine.ready();
    this.deferred.push(batch);
    this.applyDelivered();
    if (!this.restoring) {
      this.serveReads();
      this.maybeCompact();
    }
    const responses = this.responses;
    this.responses = [];
    return {
      persist: batch.persist,
      sync: batch.sync,
      messages: batch.messages,
      responses: [...(batch.responses as ReplicatedResponse<Res>[]), ...responses],
      notes: batch.notes,
    };
  }

  inspect(): NodeInspection {
    const engine = this.engine.inspect();
    return { ...engine, state: { ...engine.state, appliedIndex: this.applied } };
  }

  /** Applies what the engine delivered, in order, up to a snapshot that restores asynchronously. */
  private applyDelivered(): void {
    if (this.restoring) return;
    let budget = this.options.appliedPerReadyMax ?? Number.POSITIVE_INFINITY;
    if (this.restoredIndex !== undefined) {
      this.finishRestore(this.restoredIndex);
      this.restoredIndex = undefined;
    }
    for (let next = this.deferred.shift(); next !== undefined; next = this.deferred.shift()) {
      if (next.snapshot !== undefined && this.application.restoreAsync !== undefined) {
        this.restoreAsync(next.snapshot.index, next.snapshot.data, this.application.restoreAsync);
        // The entries after the snapshot wait for it.
        this.deferred.unshift({ committed: next.committed, readStates: next.readStates });
        return;
      }
      if (next.snapshot !== undefined) {
        this.forgetSnapshots();
        this.application.restore(next.snapshot.data);
        this.finishRestore(next.snapshot.index);
      }
      this.noteReadStates(next.readStates);
      if (next.committed.length > budget) {
        for (const entry of next.committed.slice(0, budget)) this.applyEntry(entry);
        this.deferred.unshift({ committed: next.committed.slice(budget), readStates: [] });
        return;
      }
      for (const entry of next.committed) this.applyEntry(entry);
      budget -= next.committed.length;
    }
  }

  private restoreAsync(
    index: number,
    data: unknown,
    restore: (data: unknown) => Promise<void>,
  ): void {
    this.forgetSnapshots();
    this.restoring = true;
    this.restoration = restore.call(this.application, data).then(
      () => {
        this.restoring = false;
        this.restoredIndex = index;
      },
      (error: unknown) => {
        this.snapshotFailure = error;
      },
    );
  }

  /** A restore begins: snapshots of the state before it are stale. */
  private forgetSnapshots(): void {
    this.restores++;
    this.builtSnapshot = undefined;
    this.heldSnapshot = undefined; // older than the engine's snapshot now
  }

  private finishRestore(index: number): void {
    this.applied = index;
    this.appliedSinceSnapshot = 0;
  }

  private noteReadStates(readStates: readonly ReadState[]): void {
    for (const readState of readStates) {
      const waiting = this.awaitingRead.get(readState.readId);
      if (waiting !== undefined) waiting.index = readState.index;
    }
  }

  private applyEntry(entry: CommittedEntry<LogCommand<Op>>): void {
    if (entry.index <= this.applied) return; // already covered by a snapshot
    assert(
      entry.index === this.applied + 1,
      `gap in committed entries: ${this.applied} then ${entry.index}`,
    );
    this.applied = entry.index;
    this.appliedSinceSnapshot++;
    if (entry.command === null) return;
    if (this.application.commandBytes !== undefined)
      this.bytesSinceSnapshot += this.application.commandBytes(entry.command.op);
    const result = this.application.apply(entry.command.op, entry.index);
    if (entry.command.origin !== this.id) return;
    const request = this.awaitingApply.get(entry.command.requestId);
    if (request === undefined) return; // answered before a restart, or proposed by an earlier incarnation
    this.awaitingApply.delete(entry.command.requestId);
    this.responses.push({ id: request.id, outcome: 'ok', result });
  }

  private serveReads(): void {
    for (const [readId, waiting] of this.awaitingRead) {
      if (waiting.index === undefined || waiting.index > this.applied) continue;
      this.awaitingRead.delete(readId);
      this.responses.push({
        id: readId,
        outcome: 'ok',
        result: this.application.read(waiting.request.op),
      });
    }
  }

  private maybeCompact(): void {
    const every = this.options.snapshotEveryEntries;
    const everyBytes = this.options.snapshotEveryBytes ?? 0;
    const due =
      (every > 0 && this.appliedSinceSnapshot >= every) ||
      (everyBytes > 0 && this.bytesSinceSnapshot >= everyBytes);
    if (!due || this.snapshotInFlight) return;
    this.appliedSinceSnapshot = 0;
    this.bytesSinceSnapshot = 0;
    const index = this.applied;
    if (this.application.snapshotAsync === undefined) {
      this.snapshotTaken(index, this.application.snapshot());
      return;
    }
    this.snapshotInFlight = true;
    const restores = this.restores;
    this.application.snapshotAsync().then(
      (data) => {
        this.snapshotInFlight = false;
        if (restores === this.restores) this.builtSnapshot = { index, data };
      },
      (error: unknown) => {
        this.snapshotInFlight = false;
        this.snapshotFailure = error;
      },
    );
  }

  /**
   * A snapshot of the state at `index` is ready: the engine compacts behind it, or, one period
   * behind, behind the one held before it.
   */
  private snapshotTaken(index: number, data: unknown): void {
    if (this.options.compactOnePeriodBehind !== true) {
      // A compaction the engine ignores if a received snapshot has overtaken it.
      this.engine.compact(index, data);
      return;
    }
    // The held snapshot is a copy (the application's snapshot contract), still valid now.
    if (this.heldSnapshot !== undefined)
      this.engine.compact(this.heldSnapshot.index, this.heldSnapshot.data);
    this.heldSnapshot = { index, data };
  }

  private fail(id: number, error: string, leaderHint?: NodeId): void {
    this.responses.push(
      leaderHint === undefined
        ? { id, outcome: 'fail', error }
        : { id, outcome: 'fail', error, leaderHint },
    );
  }
}
