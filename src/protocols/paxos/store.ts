import { assert, unreachable } from '../../core/assert.js';
import { formatBallot } from '../../core/ballot.js';
import { US_PER_MS } from '../../core/clock.js';
import type { NodeId } from '../../core/ids.js';
import { KvStateMachine, type KvOp } from '../../core/kv.js';
import type {
  ClientRequest,
  NodeContext,
  NodeInspection,
  ProtocolNode,
  Ready,
} from '../../core/protocol.js';
import { emptyReady, isReadyEmpty } from '../../core/protocol.js';
import { ThresholdQuorum } from '../../core/quorum.js';
import type { Rng } from '../../core/rng.js';
import { SynodError } from '../../core/errors.js';
import { Acceptor } from './acceptor.js';
import type { PaxosCheckable } from './invariants.js';
import { Learner } from './learner.js';
import type {
  AcceptedProposal,
  Effects,
  PaxosMessage,
  PaxosRecord,
  PaxosValue,
} from './messages.js';
import { type PaxosVariant, isPaxosVariant, quorumSizeFor } from './options.js';
import { Proposer } from './proposer.js';

/**
 * What one version of the store is: the command a client asked for (`set(n)` is a put, `inc(n)` an
 * inc, `get` a read that must be ordered too), or null, a no-op that fills a gap.
 */
export interface StoreCommand {
  readonly origin: NodeId;
  readonly requestId: number;
  readonly op: KvOp;
}

export interface StoreOptions {
  readonly phaseTimeoutTicks: number;
  readonly backoffTicksBase: number;
  readonly backoffTicksMax: number;
  /** Requests waiting at one node beyond this are refused at once. */
  readonly pendingRequestsMax: number;
}

const DEFAULT_STORE_OPTIONS: StoreOptions = {
  phaseTimeoutTicks: 20,
  backoffTicksBase: 2,
  backoffTicksMax: 64,
  pendingRequestsMax: 1_000,
};

function parseStoreOptions(raw: Readonly<Record<string, unknown>>): StoreOptions {
  const result: Record<string, number> = { ...DEFAULT_STORE_OPTIONS };
  for (const [key, value] of Object.entries(raw)) {
    if (!(key in DEFAULT_STORE_OPTIONS))
      throw new SynodError(
        'BAD_OPTION',
        `unknown paxos-store option "${key}" (known: ${Object.keys(DEFAULT_STORE_OPTIONS).join(', ')})`,
      );
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
      throw new SynodError('BAD_OPTION', `paxos-store option "${key}" must be a positive integer`);
    result[key] = value;
  }
  return result as unknown as StoreOptions;
}

/** Messages a node sends to itself are handled in place; this bounds that loop. */
const LOCAL_DELIVERIES_MAX = 100_000;

/**
 * The versioned store of seed 002's derivation "from majority read/write to Paxos": every node
 * holds the variable (here: a whole KV map, `i` being one key), and version k of it is decided by
 * Paxos instance k. A request becomes a command proposed for the next unknown version; if another
 * command wins that version, the request moves on to the next one. So two concurrent `inc`s never
 * overwrite each other: each lands in its own version, applied on top of the one before.
 *
 * There is no leader: every node proposes, accepts and learns. Reads go through an instance too,
 * which makes them linearizable without leases.
 */
export class VersionedStoreNode implements ProtocolNode<PaxosMessage, PaxosRecord>, PaxosCheckable {
  readonly id: NodeId;
  readonly variant: PaxosVariant;
  readonly acceptors: readonly NodeId[];
  readonly kv = new KvStateMachine();
  private readonly options: StoreOptions;
  private readonly acceptor: Acceptor;
  private readonly learner: Learner;
  private readonly quorum: ThresholdQuorum;
  /** Versions 1..applied are in `kv`. */
  private applied = 0;
  /** Learned commands, applied in version order once there is no gap below them. */
  private readonly learned = new Map<number, StoreCommand | null>();
  /** The highest version any message mentioned: above `applied + 1` means this node lags. */
  private highestInstanceSeen = 0;
  private lagSinceTick: number | undefined;
  private readonly queue: ClientRequest[] = [];
  private proposer: Proposer | undefined;
  private highestRound = 0;
  private nowTick = 0;
  private batch: Ready<PaxosMessage, PaxosRecord> = emptyReady();
  private readonly localInbox: { from: NodeId; message: PaxosMessage }[] = [];
  private readonly effects: Effects;
  /** Counts persisted records: the invariant checker skips a node whose count did not move. */
  private persistedRecords = 0;
  private readonly backoffRng: Rng;

  constructor(private readonly context: NodeContext<PaxosRecord>) {
    assert(isPaxosVariant(context.variant), `unknown paxos-store variant "${context.variant}"`);
    this.id = context.id;
    this.variant = context.variant;
    this.options = parseStoreOptions(context.options);
    this.acceptors = context.members;
    this.quorum = new ThresholdQuorum(
      this.acceptors,
      quorumSizeFor(this.variant, this.acceptors.length),
    );
    this.acceptor = new Acceptor(this.id);
    this.learner = new Learner(this.id, this.quorum);
    this.backoffRng = context.rng.split('backoff');
    this.effects = {
      send: (to, message) => this.send(to, message),
      persist: (record) => {
        if (record.kind === 'proposer')
          this.highestRound = Math.max(this.highestRound, record.round);
        this.persistedRecords++;
        this.batch.persist.push({ kind: 'append', records: [record] });
      },
      note: (kind, text, data) => this.batch.notes.push({ kind, text, data }),
    };
    this.restore(context.restored);
  }

  request(request: ClientRequest): void {
    if (this.queue.length >= this.options.pendingRequestsMax) {
      this.batch.responses.push({
        id: request.id,
        outcome: 'fail',
        error: 'too many pending requests',
      });
      return;
    }
    this.queue.push(request);
    this.drive();
  }

  step(from: NodeId, message: PaxosMessage): void {
    this.dispatch(from, message);
    this.settle();
  }

  tick(): void {
    this.nowTick++;
    this.proposer?.tick(this.nowTick, this.nowMs(), this.effects);
    this.settle();
  }

  hasReady(): boolean {
    return !isReadyEmpty(this.batch);
  }

  ready(): Ready<PaxosMessage, PaxosRecord> {
    const batch = this.batch;
    batch.sync = this.variant !== 'reply-before-persist';
    this.batch = emptyReady();
    return batch;
  }

  /** The current version number: how many commands this node applied. */
  version(): number {
    return this.applied;
  }

  stateVersion(): number {
    return this.persistedRecords;
  }

  acceptedEntries(): (readonly [number, AcceptedProposal | null])[] {
    return this.acceptor.entries().map(([instance, state]) => [instance, state.accepted] as const);
  }

  learnedEntries(): [number, PaxosValue][] {
    return this.learner.entries();
  }

  proposedValues(): PaxosValue[] {
    const value = this.proposer?.ownValue;
    return value === undefined ? [] : [value];
  }

  inspect(): NodeInspection {
    const proposer = this.proposer;
    return {
      role: 'proposer+acceptor+learner',
      epoch: { name: 'version', value: this.applied },
      state: {
        version: this.applied,
        kv: Object.fromEntries(this.kv.snapshot()),
        pending: this.queue.length,
        ...(proposer === undefined
          ? {}
          : { proposing: { instance: this.applied + 1, ...proposer.inspect() } }),
        highestRound: this.highestRound,
        ballot: proposer === undefined ? null : formatBallot(proposer.ballot),
      },
    };
  }

  private dispatch(from: NodeId, message: PaxosMessage): void {
    const instance = message.instance;
    if (!Number.isSafeInteger(instance) || instance < 1) return; // versions start at 1
    this.highestInstanceSeen = Math.max(this.highestInstanceSeen, instance);
    const proposer =
      this.proposer !== undefined && instance === this.applied + 1 ? this.proposer : undefined;
    switch (message.type) {
      case 'prepare':
        this.acceptor.onPrepare(from, instance, message.ballot, this.effects);
        return;
      case 'accept':
        this.acceptor.onAccept(
          from,
          instance,
          message.ballot,
          message.value,
          this.effects,
          (ballot, value) => {
            for (const to of this.acceptors)
              this.send(to, { type: 'learn', instance, ballot, value });
          },
        );
        return;
      case 'promise':
        proposer?.onPromise(from, message.ballot, message.accepted, this.nowTick, this.effects);
        return;
      case 'prepare-rejected':
      case 'accept-rejected':
        proposer?.onRejected(from, message.ballot, message.lastRnd, this.nowTick, this.effects);
        return;
      case 'accepted':
        proposer?.onAccepted(from, message.ballot, this.effects);
        return;
      case 'learn':
        this.onLearned(
          instance,
          this.learner.onLearn(from, instance, message.ballot, message.value),
        );
        return;
      case 'chosen':
        this.onLearned(instance, this.learner.onChosen(instance, message.value));
        return;
      default:
        unreachable(message, 'paxos message');
    }
  }

  /** After every input: drain local messages, learn what our own proposer saw chosen, apply, propose. */
  private settle(): void {
    for (let count = 0; ; count++) {
      assert(count < LOCAL_DELIVERIES_MAX, 'local message loop did not settle');
      const next = this.localInbox.shift();
      if (next !== undefined) {
        this.dispatch(next.from, next.message);
        continue;
      }
      const proposer = this.proposer;
      if (proposer?.phase === 'done' && proposer.chosenValue !== undefined) {
        const instance = this.applied + 1;
        this.onLearned(instance, this.learner.onChosen(instance, proposer.chosenValue));
      }
      if (this.localInbox.length === 0) break;
    }
    this.drive();
    for (let count = 0; this.localInbox.length > 0; count++) {
      assert(count < LOCAL_DELIVERIES_MAX, 'local message loop did not settle');
      const next = this.localInbox.shift();
      if (next !== undefined) this.dispatch(next.from, next.message);
    }
  }

  private onLearned(instance: number, value: PaxosValue | undefined): void {
    if (value === undefined) return;
    this.effects.persist({ kind: 'learned', instance, value });
    this.learned.set(instance, value as unknown as StoreCommand | null);
    this.applyLearned();
  }

  /** Applies learned versions in order; answers the requests of this node that they carry. */
  private applyLearned(): void {
    for (;;) {
      const instance = this.applied + 1;
      if (!this.learned.has(instance)) return;
      const command = this.learned.get(instance) ?? null;
      this.learned.delete(instance);
      this.applied = instance;
      if (this.proposer !== undefined) this.proposer = undefined; // its version is decided
      if (command === null) continue;
      const result = this.kv.apply(command.op);
      const head = this.queue[0];
      if (command.origin === this.id && head !== undefined && head.id === command.requestId) {
        this.queue.shift();
        this.batch.responses.push({ id: head.id, outcome: 'ok', result });
      }
    }
  }

  /**
   * Proposes for the next unknown version: the oldest waiting request, or a no-op when this node
   * has lagged for a while behind versions others decided (it learns the value of that version).
   */
  private drive(): void {
    if (this.proposer !== undefined) return;
    const head = this.queue[0];
    const lagging = this.highestInstanceSeen > this.applied + 1 || this.learned.size > 0;
    if (!lagging) this.lagSinceTick = undefined;
    else if (this.lagSinceTick === undefined) this.lagSinceTick = this.nowTick;
    const fillGap =
      lagging &&
      this.nowTick - (this.lagSinceTick ?? this.nowTick) >= this.options.phaseTimeoutTicks;
    if (head === undefined && !fillGap) return;
    const value: StoreCommand | null =
      head === undefined ? null : { origin: this.id, requestId: head.id, op: head.op };
    const proposer = new Proposer(
      {
        id: this.id,
        instance: this.applied + 1,
        acceptors: this.acceptors,
        quorum: this.quorum,
        ignoreAccepted: this.variant === 'ignore-accepted',
        ballotScheme: 'counter',
        phaseTimeoutTicks: this.options.phaseTimeoutTicks,
        backoff: 'exponential',
        backoffTicksBase: this.options.backoffTicksBase,
        backoffTicksMax: this.options.backoffTicksMax,
      },
      this.backoffRng,
    );
    proposer.restoreRound(this.highestRound);
    this.proposer = proposer;
    proposer.propose(value as unknown as PaxosValue, this.nowTick, this.nowMs(), this.effects);
  }

  private send(to: NodeId, message: PaxosMessage): void {
    if (to === this.id) this.localInbox.push({ from: this.id, message });
    else this.batch.messages.push({ from: this.id, to, message });
  }

  private restore(records: readonly PaxosRecord[]): void {
    for (const record of records) {
      switch (record.kind) {
        case 'acceptor':
          this.acceptor.restore(record);
          break;
        case 'proposer':
          this.highestRound = Math.max(this.highestRound, record.round);
          break;
        case 'learned':
          this.learner.restore(record.instance, record.value);
          this.learned.set(record.instance, record.value as unknown as StoreCommand | null);
          break;
        default:
          unreachable(record, 'paxos record');
      }
    }
    this.applyLearned();
    this.batch.responses.length = 0; // nobody waits for answers from a previous incarnation
  }

  private nowMs(): number {
    return Math.floor(this.context.clock.nowUs() / US_PER_MS);
  }
}
