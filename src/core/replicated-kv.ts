import { assert } from './assert.js';
import type { NodeId } from './ids.js';
import { type KvOp, type KvSnapshot, KvStateMachine, isReadOnly } from './kv.js';
import type {
  ClientRequest,
  ClientResponse,
  NodeInspection,
  ProtocolMessage,
  ProtocolNode,
  Ready,
} from './protocol.js';
import type { CommittedEntry, ReplicatedLog } from './replicated-log.js';

/** What a replicated KV puts in the log: the operation and who must answer the client. */
export interface KvCommand {
  readonly origin: NodeId;
  readonly requestId: number;
  readonly op: KvOp;
}

export interface ReplicatedKvOptions {
  /** Compact the engine's log after this many applied entries (0: never). */
  readonly snapshotEveryEntries: number;
  /** Upper bound on requests waiting at this node for their command or barrier. */
  readonly pendingRequestsMax: number;
}

export const DEFAULT_REPLICATED_KV_OPTIONS: ReplicatedKvOptions = {
  snapshotEveryEntries: 0,
  pendingRequestsMax: 10_000,
};

/**
 * The KV state machine driven by any `ReplicatedLog` engine: writes (and reads, when the engine has
 * no read barrier) go through the log; the node that received the request answers it when it
 * applies the command. Reads with a barrier are served locally once the barrier's index is applied.
 */
export class ReplicatedKv<M extends ProtocolMessage, R> implements ProtocolNode<M, R> {
  readonly id: NodeId;
  readonly state = new KvStateMachine();
  private appliedIndex = 0;
  private appliedSinceSnapshot = 0;
  /** Requests proposed through the log, answered when their command is applied here. */
  private readonly awaitingApply = new Map<number, ClientRequest>();
  /** Reads waiting for their barrier (`index` unknown) or for the applied index to reach it. */
  private readonly awaitingRead = new Map<
    number,
    { request: ClientRequest; index: number | undefined }
  >();
  private responses: ClientResponse[] = [];

  constructor(
    readonly engine: ReplicatedLog<KvCommand, M, R>,
    private readonly options: ReplicatedKvOptions = DEFAULT_REPLICATED_KV_OPTIONS,
  ) {
    this.id = engine.id;
  }

  step(from: NodeId, message: M): void {
    this.engine.step(from, message);
  }

  tick(): void {
    this.engine.tick();
  }

  request(request: ClientRequest): void {
    if (this.awaitingApply.size + this.awaitingRead.size >= this.options.pendingRequestsMax) {
      this.fail(request.id, 'too many pending requests');
      return;
    }
    if (isReadOnly(request.op) && this.engine.requestReadBarrier(request.id)) {
      this.awaitingRead.set(request.id, { request, index: undefined });
      return;
    }
    if (this.engine.propose({ origin: this.id, requestId: request.id, op: request.op })) {
      this.awaitingApply.set(request.id, request);
      return;
    }
    this.fail(request.id, 'not the leader', this.engine.leader());
  }

  hasReady(): boolean {
    return this.engine.hasReady() || this.responses.length > 0;
  }

  ready(): Ready<M, R> {
    const batch = this.engine.ready();
    if (batch.snapshot !== undefined)
      this.restoreSnapshot(batch.snapshot.index, batch.snapshot.data);
    for (const entry of batch.committed) this.applyEntry(entry);
    for (const readState of batch.readStates) {
      const waiting = this.awaitingRead.get(readState.readId);
      if (waiting !== undefined) waiting.index = readState.index;
    }
    this.serveReads();
    this.maybeCompact();
    const responses = this.responses;
    this.responses = [];
    return {
      persist: batch.persist,
      sync: batch.sync,
      messages: batch.messages,
      responses: [...batch.responses, ...responses],
      notes: batch.notes,
    };
  }

  inspect(): NodeInspection {
    const engine = this.engine.inspect();
    return {
      ...engine,
      state: {
        ...engine.state,
        appliedIndex: this.appliedIndex,
        kv: Object.fromEntries(this.state.snapshot()),
      },
    };
  }

  private restoreSnapshot(index: number, data: unknown): void {
    assert(Array.isArray(data), 'a KV snapshot is an array of [key, value] pairs');
    this.state.restore(data as KvSnapshot);
    this.appliedIndex = index;
    this.appliedSinceSnapshot = 0;
  }

  private applyEntry(entry: CommittedEntry<KvCommand>): void {
    if (entry.index <= this.appliedIndex) return; // already covered by a snapshot
    assert(
      entry.index === this.appliedIndex + 1,
      `gap in committed entries: ${this.appliedIndex} then ${entry.index}`,
    );
    this.appliedIndex = entry.index;
    this.appliedSinceSnapshot++;
    if (entry.command === null) return;
    const result = this.state.apply(entry.command.op);
    if (entry.command.origin !== this.id) return;
    const request = this.awaitingApply.get(entry.command.requestId);
    if (request === undefined) return; // answered before a restart, or proposed by an earlier incarnation
    this.awaitingApply.delete(entry.command.requestId);
    this.responses.push({ id: request.id, outcome: 'ok', result });
  }

  private serveReads(): void {
    for (const [readId, waiting] of this.awaitingRead) {
      if (waiting.index === undefined || waiting.index > this.appliedIndex) continue;
      this.awaitingRead.delete(readId);
      this.responses.push({
        id: readId,
        outcome: 'ok',
        result: this.state.apply(waiting.request.op),
      });
    }
  }

  private maybeCompact(): void {
    const every = this.options.snapshotEveryEntries;
    if (every <= 0 || this.appliedSinceSnapshot < every) return;
    this.engine.compact(this.appliedIndex, this.state.snapshot());
    this.appliedSinceSnapshot = 0;
  }

  private fail(id: number, error: string, leaderHint?: NodeId): void {
    this.responses.push(
      leaderHint === undefined
        ? { id, outcome: 'fail', error }
        : { id, outcome: 'fail', error, leaderHint },
    );
  }
}
