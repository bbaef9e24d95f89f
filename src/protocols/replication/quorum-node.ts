import { assert } from '../../core/assert.js';
import { type Ballot, ballot } from '../../core/ballot.js';
import type { NodeId } from '../../core/ids.js';
import { type KvResult, evaluateKvOp } from '../../core/kv.js';
import type {
  ClientRequest,
  NodeContext,
  NodeInspection,
  ProtocolNode,
} from '../../core/protocol.js';
import { majority } from '../../core/quorum.js';
import type { Rng } from '../../core/rng.js';
import type {
  KeyWrite,
  QuorumMessage,
  RegisterCopy,
  ReplicationMessage,
  ReplicationRecord,
} from './messages.js';
import type { QuorumVariant, ReplicationOptions } from './options.js';
import { ReplicaBase } from './replica-base.js';
import { type ReadReply, decideCurrent, nextCopy } from './read-decision.js';
import { RegisterStore } from './register-store.js';

/** One client operation this node coordinates: read a majority, then (maybe) write a majority. */
interface Operation {
  readonly request: ClientRequest;
  readonly key: string;
  attempt: number;
  phase: 'read' | 'write' | 'backoff';
  /** `prepared`: this attempt's pre-read ballot. */
  ballot: Ballot | undefined;
  readonly replies: ReadReply[];
  readonly writeAcks: Set<NodeId>;
  result: KvResult | undefined;
  written: RegisterCopy | undefined;
  changes: boolean;
  ageTicks: number;
  backoffTicks: number;
}

/** What a completed operation saw or wrote, for the invariant checkers. */
export interface QuorumReport {
  readonly requestId: number;
  readonly key: string;
  /** The copy the operation returned (a read) or left on a majority (a write). */
  readonly copy: RegisterCopy;
  /** Whether it changed the value (its `seq` is then a new one). */
  readonly wrote: boolean;
  /** `majority`: the disagreeing copies its read found, by node. */
  readonly conflict?: readonly ReadReply[];
}

function operationName(requestId: number, attempt: number): string {
  return `${requestId}.${attempt}`;
}

function singleKeyState(key: string, value: string | null): Map<string, string> {
  return new Map(value === null ? [] : [[key, value]]);
}

/**
 * One node of the quorum strategies (majority, lww, versioned, prepared): a replica of every key
 * (register-store.ts) and a coordinator for the client requests it receives. Every operation reads
 * the key from a majority, decides the current copy (read-decision.ts), evaluates itself on it, and
 * writes the result to a majority when it changes something (`prepared` always writes, so that a
 * read fixes what it returned on a majority: phase 2 of Paxos). Messages to itself are handled
 * in place.
 */
export class QuorumNode
  extends ReplicaBase
  implements ProtocolNode<ReplicationMessage, ReplicationRecord>
{
  private readonly rng: Rng;
  private readonly store: RegisterStore;
  private readonly operations = new Map<string, Operation>();
  private readonly completed: QuorumReport[] = [];
  /** The highest round seen in any version or ballot: the Lamport clock of `lww`, the ballot counter of `prepared`. */
  private clockRound: number;

  constructor(
    context: NodeContext<ReplicationRecord>,
    private readonly variant: QuorumVariant,
    private readonly options: ReplicationOptions,
  ) {
    super(context);
    this.rng = context.rng;
    this.store = new RegisterStore(variant);
    for (const record of context.restored) this.store.restore(record);
    this.clockRound = this.store.highestRound();
  }

  copyOf(key: string): RegisterCopy {
    return this.store.copyOf(key);
  }

  reports(): readonly QuorumReport[] {
    return this.completed;
  }

  step(from: NodeId, message: ReplicationMessage): void {
    if (!this.members.includes(from)) return;
    switch (message.type) {
      case 'read':
        return this.onRead(from, message);
      case 'write':
        return this.onWrite(from, message);
      case 'read-reply':
        return this.onReadReply(from, message);
      case 'write-reply':
        return this.onWriteReply(from, message);
      default:
        return; // a primary–backup message: not for this strategy
    }
  }

  tick(): void {
    for (const [name, operation] of [...this.operations]) {
      operation.ageTicks++;
      if (operation.ageTicks > this.options.operationTimeoutTicks) {
        this.operations.delete(name);
        this.out.note('timeout', `request ${operation.request.id}: no majority, left unanswered`);
        continue;
      }
      if (operation.phase === 'backoff' && --operation.backoffTicks <= 0) {
        this.operations.delete(name);
        operation.attempt++;
        this.startRead(operation);
      }
    }
  }

  request(request: ClientRequest): void {
    const op = request.op;
    if (op.f === 'range') {
      this.fail(
        request.id,
        'range is not supported by the quorum strategies (one register per key)',
      );
      return;
    }
    if (this.operations.size >= this.options.pendingRequestsMax) {
      this.fail(request.id, 'too many pending requests');
      return;
    }
    this.startRead({
      request,
      key: op.key,
      attempt: 0,
      phase: 'read',
      ballot: undefined,
      replies: [],
      writeAcks: new Set(),
      result: undefined,
      written: undefined,
      changes: false,
      ageTicks: 0,
      backoffTicks: 0,
    });
  }

  inspect(): NodeInspection {
    const registers = Object.fromEntries(
      this.store.entries().map(([key, register]) => [
        key,
        {
          value: register.copy.value,
          version: `${register.copy.version.round}.${register.copy.version.node}`,
          seq: register.copy.seq,
          promised: `${register.promised.round}.${register.promised.node}`,
        },
      ]),
    );
    return {
      role: 'replica',
      state: {
        kv: Object.fromEntries(
          this.store
            .entries()
            .flatMap(([key, register]) =>
              register.copy.value === null ? [] : [[key, register.copy.value]],
            ),
        ),
        registers,
        clockRound: this.clockRound,
        operations: [...this.operations.values()].map((operation) => ({
          request: operation.request.id,
          phase: operation.phase,
          attempt: operation.attempt,
        })),
      },
    };
  }

  private send(to: NodeId, message: QuorumMessage): void {
    if (to === this.id) this.step(this.id, message);
    else this.out.send(to, message);
  }

  private broadcast(message: QuorumMessage): void {
    for (const member of this.members) this.send(member, message);
  }

  private startRead(operation: Operation): void {
    operation.phase = 'read';
    operation.replies.length = 0;
    operation.writeAcks.clear();
    if (this.variant === 'prepared') {
      this.clockRound++;
      operation.ballot = ballot(this.clockRound, this.id);
    }
    const name = operationName(operation.request.id, operation.attempt);
    this.operations.set(name, operation);
    const read: QuorumMessage =
      operation.ballot === undefined
        ? { type: 'read', operation: name, key: operation.key }
        : { type: 'read', operation: name, key: operation.key, ballot: operation.ballot };
    this.broadcast(read);
  }

  private onRead(from: NodeId, message: Extract<QuorumMessage, { type: 'read' }>): void {
    const answer = this.store.onRead(message.key, message.ballot);
    if (answer.record !== undefined) this.out.persist(answer.record);
    this.send(from, {
      type: 'read-reply',
      operation: message.operation,
      key: message.key,
      ok: answer.ok,
      copy: answer.copy,
      promised: answer.promised,
    });
  }

  private onWrite(from: NodeId, message: Extract<QuorumMessage, { type: 'write' }>): void {
    this.observe(message.copy.version);
    const answer = this.store.onWrite(message.key, message.copy);
    if (answer.record !== undefined) this.out.persist(answer.record);
    this.send(from, {
      type: 'write-reply',
      operation: message.operation,
      key: message.key,
      ok: answer.ok,
      promised: answer.promised,
    });
  }

  private onReadReply(from: NodeId, message: Extract<QuorumMessage, { type: 'read-reply' }>): void {
    this.observe(message.copy.version, message.promised);
    const operation = this.operations.get(message.operation);
    if (operation === undefined || operation.phase !== 'read') return;
    if (!message.ok) return this.retryLater(operation, message.promised);
    if (operation.replies.some((reply) => reply.from === from)) return;
    operation.replies.push({ from, copy: message.copy });
    if (operation.replies.length >= majority(this.members.length)) this.decide(operation);
  }

  private decide(operation: Operation): void {
    const decision = decideCurrent(this.variant, operation.replies);
    if (decision.conflict !== undefined)
      this.out.note(
        'conflict',
        `request ${operation.request.id}: ${decision.conflict.map((reply) => `node ${reply.from} has ${operation.key}=${String(reply.copy.value)}`).join(', ')}; no way to tell which is newer, taking node ${decision.conflict[0]?.from}'s`,
      );
    const effect = evaluateKvOp(
      singleKeyState(operation.key, decision.copy.value),
      operation.request.op,
    );
    operation.result = effect.result;
    operation.changes = effect.writes.length > 0;
    if (!operation.changes && this.variant !== 'prepared') {
      this.complete(operation, decision.copy, decision.conflict);
      return;
    }
    const value = operation.changes ? (effect.writes[0] as KeyWrite)[1] : decision.copy.value;
    operation.written = nextCopy(
      this.variant,
      decision.copy,
      value,
      { node: this.id, clockRound: this.clockRound, ballot: operation.ballot },
      operation.changes,
    );
    this.observe(operation.written.version);
    operation.phase = 'write';
    this.broadcast({
      type: 'write',
      operation: operationName(operation.request.id, operation.attempt),
      key: operation.key,
      copy: operation.written,
    });
  }

  private onWriteReply(
    from: NodeId,
    message: Extract<QuorumMessage, { type: 'write-reply' }>,
  ): void {
    this.observe(message.promised);
    const operation = this.operations.get(message.operation);
    if (operation === undefined || operation.phase !== 'write') return;
    if (!message.ok) {
      // Phase 2 refused: the write may sit on some replicas and be completed by a later proposer,
      // so the outcome is unknown and the client must not be told it failed.
      this.operations.delete(message.operation);
      this.out.note(
        'rejected',
        `request ${operation.request.id}: write refused by node ${from}, outcome unknown`,
      );
      return;
    }
    operation.writeAcks.add(from);
    if (operation.writeAcks.size < majority(this.members.length)) return;
    assert(operation.written !== undefined, 'a write phase without a written copy');
    this.complete(operation, operation.written, undefined);
  }

  private complete(
    operation: Operation,
    copy: RegisterCopy,
    conflict: readonly ReadReply[] | undefined,
  ): void {
    assert(operation.result !== undefined, 'completing an operation without a result');
    this.operations.delete(operationName(operation.request.id, operation.attempt));
    const report: QuorumReport = {
      requestId: operation.request.id,
      key: operation.key,
      copy,
      wrote: operation.changes,
    };
    this.completed.push(conflict === undefined ? report : { ...report, conflict });
    this.out.respond({ id: operation.request.id, outcome: 'ok', result: operation.result });
  }

  /** A refused pre-read (`prepared`): nothing was written, so retry with a higher ballot, or fail. */
  private retryLater(operation: Operation, promised: Ballot): void {
    const name = operationName(operation.request.id, operation.attempt);
    this.observe(promised);
    if (operation.attempt >= this.options.prepareRetriesMax) {
      this.operations.delete(name);
      this.fail(
        operation.request.id,
        `pre-read refused: ballot ${promised.round}.${promised.node} is writing`,
      );
      return;
    }
    operation.phase = 'backoff';
    operation.backoffTicks = this.rng.int(1, Math.max(1, this.options.retryBackoffTicksMax));
  }

  private observe(...ballots: Ballot[]): void {
    for (const seen of ballots) this.clockRound = Math.max(this.clockRound, seen.round);
  }

  private fail(id: number, error: string): void {
    this.out.respond({ id, outcome: 'fail', error });
  }
}
