import { randomInt } from 'node:crypto';
import { assert } from '../core/assert.js';
import type { NodeId } from '../core/ids.js';
import type { ProtocolMessage } from '../core/protocol.js';
import {
  type LogCommand,
  type ReplicatedApplication,
  type ReplicatedReady,
  ReplicatedStateMachine,
} from '../core/replicated-state-machine.js';
import { createRng } from '../core/rng.js';
import { DurableStore } from '../storage/durable-store.js';
import type { FsCounters } from '../storage/instrumented-fs.js';
import { instrumentFs } from '../storage/instrumented-fs.js';
import type { StorageFs } from '../storage/storage-fs.js';
import { nodeStorageFs } from '../storage/storage-fs.js';
import type { PeerAddress } from '../transport/peer-link.js';
import type { PeerTlsOptions } from '../transport/peer-tls.js';
import type { PeerByteCounts, PeerTransportOptions } from '../transport/peer-transport.js';
import { PeerTransport } from '../transport/peer-transport.js';
import type { EngineConfig, EngineFactory, ServerEngine } from './engines.js';
import {
  type ForwardReply,
  isForwardMessage,
  validForwardReply,
  validForwardRequest,
} from './forwarding.js';
import type { ServerLogger } from './logger.js';
import { MessageCounts } from './message-counts.js';
import { RequestError } from './request-error.js';

export interface NodeRuntimeOptions<Op, Res> {
  readonly nodeId: NodeId;
  readonly members: readonly NodeId[];
  /** Every other member's peer addresses (dialed in turn until one answers). */
  readonly peers: ReadonlyMap<NodeId, PeerAddress | readonly PeerAddress[]>;
  readonly listenPeer: PeerAddress | readonly PeerAddress[];
  /** Checked by the transport handshake: a node of another cluster is refused. */
  readonly clusterId: string;
  readonly dataDir: string;
  readonly engine: EngineFactory;
  readonly engineOptions?: Readonly<Record<string, unknown>>;
  readonly application: ReplicatedApplication<Op, Res>;
  /** Real time per engine tick; the engine's election timeout and heartbeat are counted in ticks. */
  readonly tickMs: number;
  readonly logger: ServerLogger;
  /** A member's name for log lines (the engine knows only node ids). */
  readonly nameOf?: (nodeId: NodeId) => string;
  /** The store failed or the engine broke an assertion: the process must restart from disk. */
  readonly onFatal: (error: unknown) => void;
  /**
   * Called right after each batch is drained (its entries just applied); the callback it returns
   * runs once that batch is durable and sent, in batch order. The API layer uses it to publish
   * watch events only when the writes that made them can no longer be lost.
   */
  readonly afterReady?: () => (() => void) | undefined;
  /**
   * Ops that must be checked at the leader before they are proposed (etcd's MemberPromote, which
   * needs the leader's view of the learner's log): `needs` picks them, `check` runs at the leader
   * and returns a result to answer with instead of proposing, or undefined to go ahead. A member
   * that is not the leader forwards such a request to the leader's runtime.
   */
  readonly leaderCheck?: {
    readonly needs: (op: Op) => boolean;
    readonly check: (op: Op) => Res | undefined;
  };
  /** Membership hooks for the peer transport: refuse removed nodes, hear of our own removal, answer joiners. */
  readonly transportHooks?: Pick<
    PeerTransportOptions<ProtocolMessage>,
    'admit' | 'onRefused' | 'onQuery'
  >;
  /** TLS on peer connections; plain TCP when undefined. */
  readonly peerTls?: PeerTlsOptions;
  /** Each WAL fsync's duration in seconds, for etcd_disk_wal_fsync_duration_seconds. */
  readonly onWalSync?: (seconds: number) => void;
  /** The file system under the data directory: the real one, unless a test holds its syncs. */
  readonly storageFs?: StorageFs;
}

interface PendingRequest<Res> {
  readonly op: unknown;
  readonly resolve: (result: Res) => void;
  readonly reject: (error: RequestError) => void;
  readonly deadlineMs: number;
  timer: NodeJS.Timeout | undefined;
  /** Whether a leader was known at some attempt: decides "no leader" versus "timed out". */
  sawLeader: boolean;
  /** The leader when the request was taken: a timeout after a change blames the old leader. */
  readonly leaderAtStart: NodeId | undefined;
  /** False for requests forwarded here by a peer: they are not forwarded again (no ping-pong). */
  readonly forwardable: boolean;
  /** Answered by the leader: the result, held until this member has applied `appliedIndex`. */
  answered?: { readonly result: Res; readonly appliedIndex: number };
}

/** What the metrics endpoint reports about the runtime. */
export interface RuntimeMetrics {
  readonly hasLeader: boolean;
  readonly leaderChanges: number;
  readonly committedIndex: number;
  readonly appliedIndex: number;
  readonly proposalsPending: number;
  readonly proposalsFailed: number;
  readonly walFsyncs: number;
  readonly walFsyncSecondsTotal: number;
  readonly walBytesWritten: number;
  /** Messages carrying a snapshot sent whole to peers, and received whole from them. */
  readonly snapshotsSent: number;
  readonly snapshotsReceived: number;
}

/**
 * Storage and transport bounds for a server. The defaults (16 MiB) suit protocol records and
 * messages, but a server's records and messages carry client data: a batch of entries holds many
 * 1.5 MiB requests, and a snapshot holds the whole MVCC state. Snapshots are written to disk and
 * sent to a lagging follower in pieces, so these limits bound the rest; a record above the limit
 * would stop the member.
 */
const SERVER_RECORD_BYTES_MAX = 512 * 1024 * 1024;
const SERVER_FRAME_BYTES_MAX = 512 * 1024 * 1024;
/**
 * A snapshot sent to a lagging follower travels in pieces (each a frame), so only memory bounds
 * it; this is a sanity bound well above the 1M-key data set (about 300 MB).
 */
const SERVER_STREAM_BYTES_MAX = 16 * 1024 * 1024 * 1024;

/**
 * Entries applied per batch, and how long one drain may run before it yields to the event loop:
 * a restarted member replays up to two snapshot periods of log (128 MiB of commands), which in one
 * go would stop it for seconds; in turns of ~50 ms its peers and clients are heard in between.
 */
const APPLIED_PER_READY_MAX = 64;
const DRAIN_TURN_MS = 50;

/** How often a request refused for want of a leader is offered again while its deadline lasts. */
const NO_LEADER_RETRY_MS = 50;
/** Batches accepted by the store but not yet delivered; beyond this the driver is broken. */
const UNDELIVERED_BATCHES_MAX = 100_000;

/**
 * One member on a real clock, real TCP and real disk: it drives a `ReplicatedLog` engine wrapped in
 * a `ReplicatedStateMachine` for the server's application, and keeps the Ready contract — each
 * drained batch is handed to the store (`apply(persist, sync)`), and only once it and every batch
 * before it are durable are its messages sent and its client answers released. Batches are
 * pipelined (the store groups their fsyncs) but delivered strictly in order. The one exception is
 * the engine's `sendsBeforeWrite`: a Raft leader's appends leave at once, so the leader's fsync and
 * its followers' run side by side; a client still hears only once its entry is durable on the
 * leader and on a quorum.
 */
export class NodeRuntime<Op, Res> {
  readonly engine: ServerEngine<LogCommand<Op>>;
  readonly machine: ReplicatedStateMachine<Op, Res, ProtocolMessage, unknown>;
  private readonly transport: PeerTransport<ProtocolMessage>;
  private readonly pending = new Map<number, PendingRequest<Res>>();
  /** Forwarded requests answered by the leader, waiting for this member to apply as far. */
  private readonly awaitingApplied = new Set<number>();
  /** Peer messages by peer and type, for the live-state endpoint. */
  readonly messageCounts = new MessageCounts();
  /** When this process started its member, for rates over the whole run. */
  readonly startedAtMs = Date.now();
  /** Request ids start at a random point so a restarted node never reuses a live id. */
  private nextRequestId = randomInt(1, 2 ** 47);
  private ticker: NodeJS.Timeout | undefined;
  private drainScheduled = false;
  private delivered: Promise<void> = Promise.resolve();
  private undeliveredBatches = 0;
  private stopped = false;
  private failed = false;
  private leaderSeen: NodeId | undefined;
  private lastTickMs = Date.now();
  private leaderChanges = 0;
  private proposalsFailed = 0;

  private constructor(
    private readonly options: NodeRuntimeOptions<Op, Res>,
    private readonly store: DurableStore<unknown>,
    private readonly fsCounters: FsCounters,
    restored: readonly unknown[],
  ) {
    const seed = randomInt(0, 2 ** 47);
    this.engine = options.engine.create<LogCommand<Op>>({
      id: options.nodeId,
      members: options.members,
      variant: 'default',
      rng: createRng(seed),
      clock: { nowUs: () => Math.floor(performance.timeOrigin * 1000 + performance.now() * 1000) },
      restored,
      options: options.engineOptions ?? {},
    });
    this.machine = new ReplicatedStateMachine(this.engine.log, options.application, {
      snapshotEveryEntries: this.engine.snapshotEveryEntries,
      snapshotEveryBytes: this.engine.snapshotEveryBytes,
      pendingRequestsMax: 10_000,
      compactOnePeriodBehind: true,
      appliedPerReadyMax: APPLIED_PER_READY_MAX,
    });
    this.transport = new PeerTransport<ProtocolMessage>({
      clusterId: options.clusterId,
      nodeId: options.nodeId,
      listen: options.listenPeer,
      peers: options.peers,
      onMessage: (from, message) => this.onPeerMessage(from, message),
      logger: quietTransportLogger(options.logger.child({ component: 'transport' })),
      limits: {
        frameBytesMax: SERVER_FRAME_BYTES_MAX,
        queueBytesMax: 2 * SERVER_FRAME_BYTES_MAX,
        streamBytesMax: SERVER_STREAM_BYTES_MAX,
      },
      ...options.transportHooks,
      tls: options.peerTls,
    });
  }

  /** Opens and recovers the data directory, starts the peer listener and the clock. */
  static async start<Op, Res>(options: NodeRuntimeOptions<Op, Res>): Promise<NodeRuntime<Op, Res>> {
    assert(Number.isInteger(options.tickMs) && options.tickMs >= 1, 'tickMs must be >= 1');
    // Instrumented so the metrics endpoint can report WAL fsync counts and time.
    const onWalSync = options.onWalSync;
    const { fs, counters } = instrumentFs(
      options.storageFs ?? nodeStorageFs,
      undefined,
      onWalSync === undefined ? undefined : (ms) => onWalSync(ms / 1000),
    );
    const store = await DurableStore.open<unknown>(options.dataDir, {
      fs,
      recordBytesMax: SERVER_RECORD_BYTES_MAX,
      queuedBytesMax: 2 * SERVER_RECORD_BYTES_MAX,
    });
    let runtime: NodeRuntime<Op, Res>;
    try {
      const { records, report } = await store.load();
      options.logger.info('recovered data directory', {
        dataDir: store.paths.root,
        records: records.length,
        truncatedTail: report.truncatedTail !== null,
      });
      runtime = new NodeRuntime(options, store, counters, records);
      await runtime.transport.start();
    } catch (error) {
      await store.close();
      throw error;
    }
    // A restarted member loads its snapshot before it serves clients, as etcd opens its db first;
    // the load yields to the event loop, so the member answers its peers meanwhile.
    runtime.drain();
    await runtime.machine.untilRestored();
    runtime.lastTickMs = Date.now(); // the load was not a blocked event loop
    runtime.ticker = setInterval(() => runtime.onTick(), options.tickMs);
    runtime.scheduleDrain(); // a restarted node has committed entries to apply
    return runtime;
  }

  get nodeId(): NodeId {
    return this.options.nodeId;
  }

  leader(): NodeId | undefined {
    return this.engine.log.leader();
  }

  /**
   * Proposes `op` through the log (or, for a read-only op, waits for a read barrier) and resolves
   * with its result once it has been applied here and the batch that applied it is durable.
   * Rejects with `no leader` when none was known for the whole timeout, `timed out` otherwise.
   */
  submit(op: Op, timeoutMs: number, forwardable = true): Promise<Res> {
    if (this.stopped || this.failed)
      return Promise.reject(new RequestError('stopping', 'the node is shutting down'));
    const id = this.nextRequestId++;
    const leaderCheck = this.options.leaderCheck;
    const checked = leaderCheck !== undefined && leaderCheck.needs(op);
    if (checked && this.leader() === this.nodeId) {
      const refusal = leaderCheck.check(op);
      if (refusal !== undefined) return Promise.resolve(refusal);
    }
    return new Promise<Res>((resolve, reject) => {
      const request: PendingRequest<Res> = {
        op,
        resolve,
        reject,
        deadlineMs: Date.now() + timeoutMs,
        timer: undefined,
        sawLeader: this.leader() !== undefined,
        leaderAtStart: this.leader(),
        forwardable,
      };
      request.timer = setTimeout(() => this.expire(id), timeoutMs);
      this.pending.set(id, request);
      const leader = this.leader();
      if (checked && leader !== this.nodeId) {
        // Not checked here: only the leader may propose it, after its check.
        if (leader !== undefined && forwardable) this.forward(id, request, leader);
        else {
          this.settle(id);
          reject(
            new RequestError(leader === undefined ? 'no-leader' : 'timeout', 'not the leader'),
          );
        }
        return;
      }
      this.machine.request({ id, op });
      this.scheduleDrain();
    });
  }

  metrics(): RuntimeMetrics {
    const calls = this.fsCounters.calls;
    return {
      hasLeader: this.leader() !== undefined,
      leaderChanges: this.leaderChanges,
      committedIndex: this.engine.committedIndex() ?? this.machine.appliedIndex,
      appliedIndex: this.machine.appliedIndex,
      proposalsPending: this.pending.size,
      proposalsFailed: this.proposalsFailed,
      walFsyncs: calls.datasync + calls.sync,
      walFsyncSecondsTotal: this.fsCounters.syncMsTotal / 1000,
      walBytesWritten: this.store.stats().bytesWritten,
      snapshotsSent: this.transport.stats().messagesSentInPieces,
      snapshotsReceived: this.transport.stats().messagesReceivedInPieces,
    };
  }

  /** Bytes exchanged with each peer (by node id) since start. */
  peerBytes(): ReadonlyMap<NodeId, Readonly<PeerByteCounts>> {
    return this.transport.peerBytes();
  }

  /** Asks the engine to hand leadership to `to`. */
  transferLeadership(to: NodeId): boolean {
    const accepted = this.engine.transferLeadership(to);
    this.scheduleDrain();
    return accepted;
  }

  /** Dials `nodeId` at `address` (a member added or moved). */
  setPeer(nodeId: NodeId, address: PeerAddress | readonly PeerAddress[]): void {
    if (!this.stopped) this.transport.setPeer(nodeId, address);
  }

  /** Stops talking to `nodeId` (a member removed). */
  removePeer(nodeId: NodeId): void {
    this.transport.removePeer(nodeId);
  }

  /** The peers the transport dials. */
  peerIds(): NodeId[] {
    return this.transport.peerIds();
  }

  /** Since when the link to `nodeId` has been up (etcd's ActiveSince); undefined while down. */
  activeSince(nodeId: NodeId): number | undefined {
    return this.transport.activeSince(nodeId);
  }

  /**
   * Asks the engine for a new configuration; an error text when it cannot now (no membership
   * changes in this engine, not the leader, a change in flight).
   */
  proposeEngineConfig(target: EngineConfig): string | undefined {
    const membership = this.engine.membership;
    if (membership === undefined) return 'the engine cannot change its membership';
    const refusal = membership.propose(target);
    this.scheduleDrain();
    return refusal;
  }

  /** Stops the clock and the transport, fails what is pending and closes the store. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.ticker !== undefined) clearInterval(this.ticker);
    for (const [id, request] of this.pending) {
      clearTimeout(request.timer);
      this.pending.delete(id);
      request.reject(new RequestError('stopping', 'the node is shutting down'));
    }
    await this.transport.close();
    await this.delivered.catch(() => undefined);
    await this.store.close();
  }

  private onTick(): void {
    if (this.stopped || this.failed) return;
    const now = Date.now();
    const gapMs = now - this.lastTickMs;
    this.lastTickMs = now;
    // etcd's "took too long" warning: a blocked event loop delays heartbeats, and peers may
    // start an election although this member is alive.
    if (gapMs > Math.max(100, 10 * this.options.tickMs))
      this.options.logger.warn('the event loop was blocked; heartbeats were late', {
        blockedMs: gapMs,
      });
    this.machine.tick();
    this.scheduleDrain();
  }

  /** Every peer message leaves through here, so the counts see them all. */
  private sendToPeer(to: NodeId, message: ProtocolMessage): void {
    this.messageCounts.sent(to, message.type);
    if (this.engine.carriesSnapshot?.(message) === true) this.transport.sendInPieces(to, message);
    else this.transport.send(to, message);
  }

  private onPeerMessage(from: NodeId, message: ProtocolMessage): void {
    if (this.stopped || this.failed) return;
    this.messageCounts.received(from, message.type);
    if (typeof message.type !== 'string') {
      this.options.logger.warn('dropped a peer message without a type', { from });
      return;
    }
    if (isForwardMessage(message)) {
      this.onForwardMessage(from, message as unknown as Record<string, unknown>);
      return;
    }
    this.machine.step(from, message);
    this.scheduleDrain();
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    // setImmediate, so the messages and requests of one event-loop turn share a batch and a sync.
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    if (this.stopped || this.failed) return;
    const turnEndsMs = performance.now() + DRAIN_TURN_MS;
    try {
      while (this.machine.hasReady()) {
        if (performance.now() > turnEndsMs) {
          this.scheduleDrain();
          return;
        }
        const batch = this.machine.ready();
        const onDelivered = this.options.afterReady?.();
        const durable =
          batch.persist.length === 0 ? undefined : this.store.apply(batch.persist, batch.sync);
        const early = this.sendEarly(batch);
        this.undeliveredBatches++;
        assert(this.undeliveredBatches <= UNDELIVERED_BATCHES_MAX, 'too many undelivered batches');
        this.delivered = this.delivered
          .then(() => durable)
          .then(() => this.deliver(batch, onDelivered, early))
          .catch((error: unknown) => this.fail(error));
      }
    } catch (error) {
      this.fail(error);
    }
  }

  /**
   * Sends now the messages the engine allows before this batch is durable (a leader's appends, so
   * its fsync overlaps its followers'); returns them, for `deliver` to skip. All such messages go
   * out in the order they were made, so a follower does not see later entries before earlier ones.
   */
  private sendEarly(
    batch: ReplicatedReady<ProtocolMessage, unknown, Res>,
  ): ReadonlySet<ProtocolMessage> | undefined {
    const allowed = this.engine.sendsBeforeWrite;
    if (allowed === undefined) return undefined;
    let early: Set<ProtocolMessage> | undefined;
    for (const envelope of batch.messages) {
      if (envelope.to === this.options.nodeId || !allowed(envelope.message)) continue;
      this.sendToPeer(envelope.to, envelope.message);
      (early ??= new Set()).add(envelope.message);
    }
    return early;
  }

  /** The batch and all before it are durable: send, answer, and let the API layer publish. */
  private deliver(
    batch: ReplicatedReady<ProtocolMessage, unknown, Res>,
    onDelivered: (() => void) | undefined,
    sentEarly: ReadonlySet<ProtocolMessage> | undefined,
  ): void {
    this.undeliveredBatches--;
    if (this.failed) return;
    for (const envelope of batch.messages) {
      if (envelope.to === this.options.nodeId || sentEarly?.has(envelope.message)) continue;
      this.sendToPeer(envelope.to, envelope.message);
    }
    for (const note of batch.notes) this.options.logger.debug(note.text, { kind: note.kind });
    const leader = this.leader();
    if (leader !== this.leaderSeen) {
      if (leader !== undefined) this.leaderChanges++;
      this.options.logger.info(leader === undefined ? 'lost the leader' : 'leader elected', {
        leader: leader === undefined ? null : (this.options.nameOf?.(leader) ?? leader),
        term: this.engine.term(),
      });
      this.leaderSeen = leader;
    }
    for (const response of batch.responses) {
      const request = this.pending.get(response.id);
      if (request === undefined) continue; // timed out already
      if (response.outcome === 'ok') {
        this.settle(response.id);
        request.resolve(response.result);
      } else {
        this.retryOrFail(response.id, request, response.error, response.leaderHint);
      }
    }
    onDelivered?.();
    this.releaseAnswered();
  }

  /** Answers the forwarded requests whose leader's applied index this member has now reached. */
  private releaseAnswered(): void {
    if (this.awaitingApplied.size === 0) return;
    const applied = this.machine.appliedIndex;
    for (const id of this.awaitingApplied) {
      const request = this.pending.get(id);
      const answered = request?.answered;
      if (request === undefined || answered === undefined) {
        this.awaitingApplied.delete(id); // expired meanwhile
        continue;
      }
      if (answered.appliedIndex > applied) continue;
      this.awaitingApplied.delete(id);
      this.settle(id);
      request.resolve(answered.result);
    }
  }

  /** A refusal for want of a leader is retried until the deadline, as etcd waits for an election. */
  private retryOrFail(
    id: number,
    request: PendingRequest<Res>,
    error: string,
    leaderHint: NodeId | undefined,
  ): void {
    if (error !== 'not the leader') {
      this.proposalsFailed++;
      this.settle(id);
      request.reject(new RequestError('overloaded', error));
      return;
    }
    if (leaderHint !== undefined && leaderHint !== this.nodeId && request.forwardable) {
      // The engine names a leader but does not forward: hand the request to its runtime.
      this.forward(id, request, leaderHint);
      return;
    }
    if (Date.now() + NO_LEADER_RETRY_MS >= request.deadlineMs) return; // the timer will fire
    setTimeout(() => {
      if (!this.pending.has(id) || this.stopped || this.failed) return;
      request.sawLeader ||= this.leader() !== undefined;
      this.machine.request({ id, op: request.op as Op });
      this.scheduleDrain();
    }, NO_LEADER_RETRY_MS);
  }

  /** Hands a request to the leader's runtime; its answer settles it (`onForwardMessage`). */
  private forward(id: number, request: PendingRequest<Res>, leader: NodeId): void {
    request.sawLeader = true;
    const timeoutMs = Math.max(1, request.deadlineMs - Date.now());
    this.sendToPeer(leader, {
      type: 'synod-forward',
      forwardId: id,
      op: request.op,
      timeoutMs,
    } as ProtocolMessage);
  }

  /** A peer's forwarded request (we are, or were, the leader), or the answer to one of ours. */
  private onForwardMessage(from: NodeId, message: Record<string, unknown>): void {
    const forwarded = validForwardRequest(message);
    if (forwarded !== undefined) {
      const reply = (answer: ForwardReply) =>
        this.sendToPeer(from, answer as unknown as ProtocolMessage);
      this.submit(forwarded.op as Op, forwarded.timeoutMs, false).then(
        (result) =>
          reply({
            type: 'synod-forward-reply',
            forwardId: forwarded.forwardId,
            ok: true,
            result,
            appliedIndex: this.machine.appliedIndex,
          }),
        (error: unknown) =>
          reply({
            type: 'synod-forward-reply',
            forwardId: forwarded.forwardId,
            ok: false,
            kind: error instanceof RequestError ? error.kind : 'overloaded',
            message: error instanceof Error ? error.message : String(error),
          }),
      );
      return;
    }
    const answer = validForwardReply(message);
    if (answer === undefined) {
      this.options.logger.warn('dropped a malformed forwarding message', { from });
      return;
    }
    const request = this.pending.get(answer.forwardId);
    if (request === undefined || request.answered !== undefined) return; // timed out, or a copy
    this.machine.abandon(answer.forwardId);
    if (answer.ok && (answer.appliedIndex ?? 0) > this.machine.appliedIndex) {
      // Held (its deadline still running) until this member has applied as far as the leader.
      request.answered = { result: answer.result as Res, appliedIndex: answer.appliedIndex ?? 0 };
      this.awaitingApplied.add(answer.forwardId);
      return;
    }
    this.settle(answer.forwardId);
    if (answer.ok) request.resolve(answer.result as Res);
    else {
      this.proposalsFailed++;
      request.reject(new RequestError(answer.kind, answer.message));
    }
  }

  private expire(id: number): void {
    const request = this.pending.get(id);
    if (request === undefined) return;
    this.proposalsFailed++;
    this.pending.delete(id);
    this.machine.abandon(id);
    const leader = this.leader();
    if (!request.sawLeader && leader === undefined)
      request.reject(new RequestError('no-leader', 'no leader'));
    else if (request.leaderAtStart !== undefined && request.leaderAtStart !== leader)
      request.reject(
        new RequestError('timeout-leader-fail', 'request timed out after a leader change'),
      );
    else request.reject(new RequestError('timeout', 'request timed out'));
  }

  private settle(id: number): void {
    const request = this.pending.get(id);
    if (request === undefined) return;
    clearTimeout(request.timer);
    this.pending.delete(id);
  }

  private fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    if (this.ticker !== undefined) clearInterval(this.ticker);
    for (const [id, request] of this.pending) {
      clearTimeout(request.timer);
      this.pending.delete(id);
      request.reject(new RequestError('stopping', 'the node failed and must restart'));
    }
    this.options.onFatal(error);
  }
}

/** Connection churn is routine for a member (peers restart); only warnings and errors show at info. */
function quietTransportLogger(logger: ServerLogger): ServerLogger {
  return { ...logger, info: (message, fields) => logger.debug(message, fields) };
}
