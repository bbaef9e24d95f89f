import { SelfInbox } from '../../core/self-inbox.js';
import { assert, unreachable } from '../../core/assert.js';
import {
  type Ballot,
  ZERO_BALLOT,
  ballotEquals,
  ballotGreater,
  formatBallot,
  maxBallot,
  nextBallot,
} from '../../core/ballot.js';
import { NODE_ID_MAX, type NodeId } from '../../core/ids.js';
import { isReadyEmpty } from '../../core/protocol.js';
import type { NodeContext, NodeInspection } from '../../core/protocol.js';
import { type ThresholdQuorum, majorityQuorum } from '../../core/quorum.js';
import type { Rng } from '../../core/rng.js';
import { type LogReady, type ReplicatedLog, emptyLogReady } from '../../core/replicated-log.js';
import { MultiAcceptor } from './acceptor.js';
import { ChosenLog } from './chosen-log.js';
import type {
  AcceptedSlot,
  LogSnapshot,
  MultiPaxosEffects,
  MultiPaxosMessage,
  MultiPaxosRecord,
  SlotProposal,
  SlotValue,
} from './messages.js';
import {
  type MultiPaxosOptions,
  type MultiPaxosVariant,
  isMultiPaxosVariant,
  parseMultiPaxosOptions,
} from './options.js';
import { ReadBarriers } from './read-barrier.js';
import { recoveryProposals } from './recovery.js';

export type MultiPaxosRole = 'follower' | 'candidate' | 'leader';

/** What the invariant checker reads: every accept and every learned slot, in order. */
export type AuditEvent<C> =
  | { readonly kind: 'accept'; readonly entry: AcceptedSlot<C> }
  | { readonly kind: 'learn'; readonly slot: number; readonly value: SlotValue<C> };

interface Promised<C> {
  readonly accepted: readonly AcceptedSlot<C>[];
  readonly snapshot: LogSnapshot | null;
}

/** A slot in phase 2 under this leader: its value and who accepted it. */
interface InflightSlot<C> {
  readonly value: SlotValue<C>;
  readonly acks: Set<NodeId>;
}

type AcceptMessage<C> = Extract<MultiPaxosMessage<C>, { type: 'accept' }>;
type AcceptedMessage = Extract<MultiPaxosMessage<unknown>, { type: 'accepted' }>;

/** Reads waiting at a leader for their barrier, at most. */
const PENDING_READS_MAX = 10_000;

/** Messages a node sends itself are handled in place; this bounds that loop. */
const LOCAL_DELIVERIES_MAX = 100_000;
/** Audit events kept when nobody drains them (a server has no checker). */
const AUDIT_MAX = 10_000;

/**
 * Multi-Paxos as a `ReplicatedLog`: every slot is a Paxos instance, all sharing one acceptor
 * promise, so a leader runs phase 1 once and then decides each slot with one accept round trip.
 * See README.md for the rules and where each lives.
 */
export class MultiPaxosEngine<C> implements ReplicatedLog<
  C,
  MultiPaxosMessage<C>,
  MultiPaxosRecord<C>
> {
  readonly id: NodeId;
  readonly members: readonly NodeId[];
  readonly variant: MultiPaxosVariant;
  readonly options: MultiPaxosOptions;
  readonly acceptor: MultiAcceptor<C>;
  readonly log = new ChosenLog<C>();
  role: MultiPaxosRole = 'follower';
  /** The ballot this node leads (or tries to lead) with. */
  ballot: Ballot = ZERO_BALLOT;
  private leaderId: NodeId | undefined = undefined;
  /** Starts above every round-0 ballot, so real rounds start at 1 as in Basic Paxos. */
  private highestSeen: Ballot = { round: 0, node: NODE_ID_MAX };
  private readonly quorum: ThresholdQuorum;
  private readonly reads: ReadBarriers;
  private readonly rng: Rng;
  private nowTick = 0;
  private electionAtTick: number;
  private heartbeatAtTick = 0;
  private readonly promises = new Map<NodeId, Promised<C>>();
  private readonly inflight = new Map<number, InflightSlot<C>>();
  private readonly queue: C[] = [];
  private nextSlot = 1;
  private readonly lastHeardTick = new Map<NodeId, number>();
  private readonly followerChosen = new Map<NodeId, number>();
  private batch: LogReady<C, MultiPaxosMessage<C>, MultiPaxosRecord<C>> = emptyLogReady();
  private readonly localInbox = new SelfInbox<MultiPaxosMessage<C>>(LOCAL_DELIVERIES_MAX);
  private audit: AuditEvent<C>[] = [];
  private readonly effects: MultiPaxosEffects<C>;

  constructor(context: NodeContext<MultiPaxosRecord<C>>) {
    assert(isMultiPaxosVariant(context.variant), `unknown multipaxos variant ${context.variant}`);
    this.id = context.id;
    this.members = context.members;
    this.variant = context.variant;
    this.options = parseMultiPaxosOptions(context.options);
    this.quorum = majorityQuorum(this.members);
    this.reads = new ReadBarriers(this.quorum, this.id, PENDING_READS_MAX);
    this.rng = context.rng.split('election');
    this.acceptor = new MultiAcceptor<C>(this.id);
    this.effects = {
      send: (to, message) => this.send(to, message),
      persist: (record) => this.persist(record),
      note: (kind, text, data) => this.batch.notes.push({ kind, text, data }),
    };
    for (const record of context.restored) {
      this.acceptor.restore(record);
      if (record.kind === 'snapshot') this.log.install(record.snapshot, true);
    }
    this.highestSeen = maxBallot(this.highestSeen, this.acceptor.promised);
    this.electionAtTick = this.electionDeadline();
  }

  // --- the ReplicatedLog contract ---

  propose(command: C): boolean {
    if (this.role !== 'leader' || this.queue.length >= this.options.queuedCommandsMax) return false;
    this.queue.push(command);
    this.fillPipeline();
    this.drainLocal();
    return true;
  }

  leader(): NodeId | undefined {
    return this.role === 'leader' ? this.id : this.role === 'follower' ? this.leaderId : undefined;
  }

  /** A leader-confirmed read (read-barrier.ts): a probe round to a majority, no log write, no clock. */
  requestReadBarrier(readId: number): boolean {
    if (this.role !== 'leader' || !this.reads.request(readId, this.nextSlot - 1)) return false;
    for (const to of this.members) if (to !== this.id) this.send(to, this.accept([]));
    return true;
  }

  compact(index: number, data: unknown): void {
    const slot = this.log.slotEndingAt(index);
    if (slot === undefined) return; // not at a slot boundary: wait for the next snapshot
    const snapshot = { slot, index, data };
    this.log.compacted(snapshot);
    this.acceptor.dropThrough(slot);
    this.batch.persist.push({
      kind: 'replace',
      records: [{ kind: 'snapshot', snapshot }, ...this.acceptor.records()],
    });
  }

  step(from: NodeId, message: MultiPaxosMessage<C>): void {
    this.dispatch(from, message);
    this.drainLocal();
  }

  tick(): void {
    this.nowTick++;
    if (this.role === 'leader') {
      if (this.nowTick >= this.heartbeatAtTick) this.heartbeat();
    } else if (this.nowTick >= this.electionAtTick) this.startElection();
    this.drainLocal();
  }

  hasReady(): boolean {
    return (
      !isReadyEmpty(this.batch) ||
      this.log.hasPending() ||
      this.reads.hasReady(this.log.emittedSlot)
    );
  }

  ready(): LogReady<C, MultiPaxosMessage<C>, MultiPaxosRecord<C>> {
    const batch = this.batch;
    this.batch = emptyLogReady();
    const { snapshot, committed } = this.log.drain();
    if (snapshot !== null) batch.snapshot = { index: snapshot.index, data: snapshot.data };
    batch.committed = committed;
    batch.readStates = this.reads.takeReady(this.log.emittedSlot, this.log.lastEmittedIndex);
    batch.sync = true;
    return batch;
  }

  /** Drains what the checker needs (every accept and learned slot since the last call). */
  takeAudit(): AuditEvent<C>[] {
    const events = this.audit;
    this.audit = [];
    return events;
  }

  inspect(): NodeInspection {
    return {
      role: this.role,
      epoch: {
        name: 'ballot',
        value: formatBallot(maxBallot(this.ballot, this.acceptor.promised)),
      },
      leader: this.leader() ?? null,
      state: {
        promised: formatBallot(this.acceptor.promised),
        commitSlot: this.log.commitSlot,
        snapshotSlot: this.log.snapshotSlot,
        nextSlot: this.nextSlot,
        inflightSlots: [...this.inflight.keys()],
        queuedCommands: this.queue.length,
        acceptedSlots: this.acceptor.accepted.size,
      },
    };
  }

  // --- messages ---

  private dispatch(from: NodeId, message: MultiPaxosMessage<C>): void {
    switch (message.type) {
      case 'prepare':
        if (
          this.acceptor.onPrepare(
            from,
            message.ballot,
            message.fromSlot,
            this.nowTick,
            this.log.snapshot,
            this.effects,
          )
        )
          this.follow(message.ballot, undefined);
        return;
      case 'promise':
        this.onPromise(from, message.ballot, message);
        return;
      case 'reject':
        this.onReject(message.ballot, message.promised);
        return;
      case 'accept':
        this.onAccept(from, message);
        return;
      case 'accepted':
        this.onAccepted(from, message);
        return;
      case 'catch-up':
        if (message.snapshot !== null) this.installSnapshot(message.snapshot);
        for (const { slot, value } of message.chosen) this.learn(slot, value);
        return;
      default:
        unreachable(message, 'multipaxos message');
    }
  }

  /** Phase 2b, then learn: a slot at or below the leader's commit slot that we accepted in its ballot holds the chosen value. */
  private onAccept(from: NodeId, message: AcceptMessage<C>): void {
    const { ballot, entries, commitSlot, probe } = message;
    if (
      !this.acceptor.onAccept(
        from,
        ballot,
        entries,
        this.nowTick,
        this.options.leaseTicks,
        this.effects,
      )
    )
      return;
    if (from !== this.id) this.follow(ballot, from);
    const top = Math.min(commitSlot, this.log.commitSlot + this.options.catchUpSlotsMax * 16);
    for (let slot = this.log.commitSlot + 1; slot <= top; slot++) {
      const accepted = this.acceptor.accepted.get(slot);
      if (accepted !== undefined && ballotEquals(accepted.ballot, ballot))
        this.learn(slot, accepted.value);
    }
    this.send(from, {
      type: 'accepted',
      ballot,
      slots: entries.map((entry) => entry.slot),
      chosenSlot: this.log.commitSlot,
      probe,
    });
  }

  private onAccepted(from: NodeId, message: AcceptedMessage): void {
    const { ballot, slots, chosenSlot } = message;
    if (this.role !== 'leader' || !ballotEquals(ballot, this.ballot)) return;
    this.lastHeardTick.set(from, this.nowTick);
    this.reads.onAck(from, message.probe);
    this.followerChosen.set(from, chosenSlot);
    let progressed = false;
    for (const slot of slots) {
      const inflight = this.inflight.get(slot);
      if (inflight === undefined) continue;
      inflight.acks.add(from);
      if (!this.quorum.isQuorum(inflight.acks)) continue;
      this.inflight.delete(slot);
      this.learn(slot, inflight.value);
      progressed = true;
    }
    if (progressed) this.fillPipeline();
  }

  private onPromise(from: NodeId, ballot: Ballot, promised: Promised<C>): void {
    if (this.role !== 'candidate' || !ballotEquals(ballot, this.ballot)) return;
    this.promises.set(from, promised);
    if (this.quorum.isQuorum(new Set(this.promises.keys()))) this.becomeLeader();
  }

  private onReject(ballot: Ballot, promised: Ballot): void {
    this.highestSeen = maxBallot(this.highestSeen, promised);
    if (
      this.role !== 'follower' &&
      ballotEquals(ballot, this.ballot) &&
      ballotGreater(promised, this.ballot)
    )
      this.stepDown(`preempted by ${formatBallot(promised)}`);
  }

  /** Someone else's ballot won our acceptor: follow it (a leader or candidate of ours steps down). */
  private follow(ballot: Ballot, leader: NodeId | undefined): void {
    this.highestSeen = maxBallot(this.highestSeen, ballot);
    if (this.role !== 'follower' && ballotGreater(ballot, this.ballot))
      this.stepDown(`saw ${formatBallot(ballot)}`);
    if (this.role !== 'follower') return;
    if (leader !== undefined) this.leaderId = leader;
    this.electionAtTick = this.electionDeadline();
  }

  // --- leadership ---

  private startElection(): void {
    this.ballot = nextBallot(
      'counter',
      this.id,
      maxBallot(this.highestSeen, this.acceptor.promised),
    );
    this.highestSeen = this.ballot;
    this.leaderId = undefined;
    this.electionAtTick = this.electionDeadline();
    // Our own promise is durable before the prepare leaves, so a restart never reuses the ballot.
    this.acceptor.promise(this.ballot, this.effects);
    if (this.variant === 'skip-phase1-on-takeover') {
      this.takeOver(this.log.commitSlot + 1, []);
      return;
    }
    this.role = 'candidate';
    this.promises.clear();
    const fromSlot = this.log.commitSlot + 1;
    this.promises.set(this.id, { accepted: this.ownAccepted(fromSlot), snapshot: null });
    this.effects.note(
      'prepare',
      `${this.id} prepares ballot ${formatBallot(this.ballot)} from slot ${fromSlot}`,
    );
    for (const to of this.members)
      if (to !== this.id) this.send(to, { type: 'prepare', ballot: this.ballot, fromSlot });
    if (this.quorum.isQuorum(new Set([this.id]))) this.becomeLeader();
  }

  /** Phase 1 won: catch up to any snapshot reported, then re-propose every slot not known chosen. */
  private becomeLeader(): void {
    for (const promised of this.promises.values())
      if (promised.snapshot !== null) this.installSnapshot(promised.snapshot);
    const reports = [...this.promises.values()].map((promised) => promised.accepted);
    const proposals = recoveryProposals(
      reports,
      this.ownAccepted(this.log.commitSlot + 1),
      this.log.commitSlot,
      this.variant === 'noop-without-quorum',
    );
    const last = proposals.at(-1)?.slot ?? this.log.commitSlot;
    this.takeOver(last + 1, proposals);
  }

  private takeOver(nextSlot: number, proposals: readonly SlotProposal<C>[]): void {
    this.role = 'leader';
    this.leaderId = this.id;
    this.inflight.clear();
    this.reads.reset();
    this.lastHeardTick.clear();
    this.followerChosen.clear();
    for (const id of this.members) this.lastHeardTick.set(id, this.nowTick);
    this.nextSlot = nextSlot;
    this.effects.note(
      'leader',
      `${this.id} leads ballot ${formatBallot(this.ballot)}, re-proposing ${proposals.length} slots`,
      {
        ballot: this.ballot,
        slots: proposals.length,
      },
    );
    for (const proposal of proposals)
      this.inflight.set(proposal.slot, { value: proposal.value, acks: new Set() });
    this.broadcastAccept(proposals);
    this.heartbeatAtTick = this.nowTick + this.options.heartbeatTicks;
    this.fillPipeline();
  }

  private stepDown(reason: string): void {
    this.effects.note(
      'step-down',
      `${this.id} steps down from ${formatBallot(this.ballot)}: ${reason}`,
    );
    this.role = 'follower';
    this.leaderId = undefined;
    this.inflight.clear();
    this.reads.reset();
    this.queue.length = 0; // never proposed: their clients time out, nothing was promised
    this.promises.clear();
    this.electionAtTick = this.electionDeadline();
  }

  /** Batching and pipelining: queued commands go out in slots of up to `batchCommandsMax`, `pipelineSlotsMax` slots at a time. */
  private fillPipeline(): void {
    if (this.role !== 'leader') return;
    while (this.queue.length > 0 && this.inflight.size < this.options.pipelineSlotsMax) {
      const value = this.queue.splice(0, this.options.batchCommandsMax);
      const slot = this.nextSlot++;
      this.inflight.set(slot, { value, acks: new Set() });
      this.broadcastAccept([{ slot, value }]);
    }
  }

  private broadcastAccept(entries: readonly SlotProposal<C>[]): void {
    for (const to of this.members) this.send(to, this.accept(entries));
  }

  /** Phase 2a in this leader's ballot, carrying its commit slot and latest read probe. */
  private accept(entries: readonly SlotProposal<C>[]): AcceptMessage<C> {
    return {
      type: 'accept',
      ballot: this.ballot,
      entries,
      commitSlot: this.log.commitSlot,
      probe: this.reads.probe,
    };
  }

  /** Every heartbeat: retransmit unacknowledged slots (or an empty accept), catch laggards up, check the quorum. */
  private heartbeat(): void {
    this.heartbeatAtTick = this.nowTick + this.options.heartbeatTicks;
    const heardSince = this.nowTick - this.options.electionTicks;
    const live = new Set(
      this.members.filter(
        (id) => id === this.id || (this.lastHeardTick.get(id) ?? 0) >= heardSince,
      ),
    );
    if (!this.quorum.isQuorum(live)) {
      this.stepDown('no quorum heard from within electionTicks');
      return;
    }
    for (const to of this.members) {
      if (to === this.id) continue;
      const entries: SlotProposal<C>[] = [];
      for (const [slot, inflight] of this.inflight)
        if (!inflight.acks.has(to) && entries.length < this.options.catchUpSlotsMax)
          entries.push({ slot, value: inflight.value });
      this.send(to, this.accept(entries));
      this.catchUp(to);
    }
  }

  private catchUp(to: NodeId): void {
    const chosen = this.followerChosen.get(to);
    if (chosen === undefined || chosen >= this.log.commitSlot) return;
    const range = this.log.range(chosen, this.options.catchUpSlotsMax);
    if (range !== undefined) {
      this.send(to, { type: 'catch-up', ballot: this.ballot, chosen: range, snapshot: null });
      return;
    }
    const snapshot = this.log.snapshot;
    assert(snapshot !== null, 'compacted without a snapshot');
    const after = this.log.range(snapshot.slot, this.options.catchUpSlotsMax) ?? [];
    this.send(to, { type: 'catch-up', ballot: this.ballot, chosen: after, snapshot });
  }

  // --- learning ---

  private learn(slot: number, value: SlotValue<C>): void {
    if (!this.log.learn(slot, value)) return;
    this.recordAudit({ kind: 'learn', slot, value });
  }

  private installSnapshot(snapshot: LogSnapshot): void {
    if (!this.log.install(snapshot, true)) return;
    this.acceptor.dropThrough(snapshot.slot);
    for (const slot of [...this.inflight.keys()])
      if (slot <= snapshot.slot) this.inflight.delete(slot);
    this.nextSlot = Math.max(this.nextSlot, snapshot.slot + 1);
    this.batch.persist.push({
      kind: 'replace',
      records: [{ kind: 'snapshot', snapshot }, ...this.acceptor.records()],
    });
  }

  private ownAccepted(fromSlot: number): AcceptedSlot<C>[] {
    return [...this.acceptor.accepted.values()].filter((entry) => entry.slot >= fromSlot);
  }

  // --- plumbing ---

  private electionDeadline(): number {
    return (
      this.nowTick + this.rng.int(this.options.electionTicks, 2 * this.options.electionTicks - 1)
    );
  }

  private persist(record: MultiPaxosRecord<C>): void {
    if (record.kind === 'accept')
      for (const entry of record.entries) this.recordAudit({ kind: 'accept', entry });
    this.batch.persist.push({ kind: 'append', records: [record] });
  }

  private recordAudit(event: AuditEvent<C>): void {
    if (this.audit.length >= AUDIT_MAX) this.audit.splice(0, AUDIT_MAX / 2);
    this.audit.push(event);
  }

  private send(to: NodeId, message: MultiPaxosMessage<C>): void {
    if (to === this.id) this.localInbox.push(this.id, message);
    else this.batch.messages.push({ from: this.id, to, message });
  }

  private drainLocal(): void {
    this.localInbox.drain((from, message) => this.dispatch(from, message));
  }
}
