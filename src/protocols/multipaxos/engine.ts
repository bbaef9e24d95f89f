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
import { countWithinLength, jsonLengthOf } from '../../core/json-size.js';
import { isReadyEmpty } from '../../core/protocol.js';
import type { NodeContext, NodeInspection } from '../../core/protocol.js';
import { type QuorumSystem, majorityQuorum } from '../../core/quorum.js';
import type { Rng } from '../../core/rng.js';
import { type LogReady, type ReplicatedLog, emptyLogReady } from '../../core/replicated-log.js';
import { MultiAcceptor } from './acceptor.js';
import { ChosenLog, slotLength } from './chosen-log.js';
import {
  EMPTY_CONFIG,
  type MultiPaxosConfig,
  configOf,
  describeConfig,
  isConfigValue,
  isVoterOf,
  membersOf,
  nextConfig,
  quorumOfAll,
} from './config.js';
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
import { type PromiseReport, planRecovery } from './recovery.js';

export type MultiPaxosRole = 'follower' | 'candidate' | 'leader';

/** What the invariant checker reads: every accept and every learned slot, in order. */
export type AuditEvent<C> =
  | { readonly kind: 'accept'; readonly entry: AcceptedSlot<C> }
  | { readonly kind: 'learn'; readonly slot: number; readonly value: SlotValue<C> };

interface Promised<C> extends PromiseReport<C> {
  readonly snapshot: LogSnapshot | null;
}

/** A slot in phase 2 under this leader: its value, who accepted it, and whose majority chooses it. */
interface InflightSlot<C> {
  readonly value: SlotValue<C>;
  readonly acks: Set<NodeId>;
  /** A majority of the voters of the configuration governing the slot. */
  readonly quorum: QuorumSystem;
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
  /** The configuration this node booted with (empty for a member joining a running cluster). */
  readonly bootConfig: MultiPaxosConfig;
  readonly variant: MultiPaxosVariant;
  readonly options: MultiPaxosOptions;
  readonly acceptor: MultiAcceptor<C>;
  readonly log: ChosenLog<C>;
  role: MultiPaxosRole = 'follower';
  /** The ballot this node leads (or tries to lead) with. */
  ballot: Ballot = ZERO_BALLOT;
  private leaderId: NodeId | undefined = undefined;
  /** Starts above every round-0 ballot, so real rounds start at 1 as in Basic Paxos. */
  private highestSeen: Ballot = { round: 0, node: NODE_ID_MAX };
  private readonly reads: ReadBarriers;
  private readonly rng: Rng;
  private nowTick = 0;
  private electionAtTick: number;
  private heartbeatAtTick = 0;
  /** Promises for `ballot`, kept while leading: a configuration reached later may need more. */
  private readonly promises = new Map<NodeId, Promised<C>>();
  /** Acceptors sent a prepare for `ballot`, and the slot it started from. */
  private readonly prepared = new Set<NodeId>();
  private prepareFromSlot = 1;
  /**
   * Set while the leader holds back new slots after choosing a configuration in this slot, until it
   * holds promises from a majority of the new configuration's voters.
   */
  private extendingAfterSlot: number | undefined = undefined;
  /**
   * Set when a configuration chosen in this slot removed this leader: it proposes nothing more and
   * steps down once a majority of the new voters know the change is chosen (they can elect then).
   */
  private leavingAfterSlot: number | undefined = undefined;
  /** A configuration change asked for and not yet in a slot. */
  private pendingConfig: MultiPaxosConfig | undefined = undefined;
  /** Whom the leader sends accepts to: the members of every configuration governing a slot it decides. */
  private peers: NodeId[] = [];
  private readonly inflight = new Map<number, InflightSlot<C>>();
  private readonly queue: C[] = [];
  private nextSlot = 1;
  private readonly lastHeardTick = new Map<NodeId, number>();
  private readonly followerChosen = new Map<NodeId, number>();
  private batch: LogReady<C, MultiPaxosMessage<C>, MultiPaxosRecord<C>> = emptyLogReady();
  private readonly localInbox = new SelfInbox<MultiPaxosMessage<C>>(LOCAL_DELIVERIES_MAX);
  private audit: AuditEvent<C>[] = [];
  private readonly effects: MultiPaxosEffects<C>;
  /**
   * Slots learned and not yet written (`chosen` records). They ride along with the next batch that
   * syncs anyway, or go alone after a heartbeat interval: losing them is safe (they are learned
   * again), so no reply waits for an fsync of its own for them.
   */
  private learned: { slots: number[]; entries: SlotProposal<C>[] } = { slots: [], entries: [] };
  private learnedSinceTick: number | undefined = undefined;
  /** Broadcasts of accepts so far (to tell whether one carried a new commit slot). */
  private acceptsSent = 0;

  constructor(context: NodeContext<MultiPaxosRecord<C>>) {
    assert(isMultiPaxosVariant(context.variant), `unknown multipaxos variant ${context.variant}`);
    this.id = context.id;
    this.bootConfig = context.members.length === 0 ? EMPTY_CONFIG : configOf(context.members);
    this.log = new ChosenLog<C>(this.bootConfig);
    this.variant = context.variant;
    this.options = parseMultiPaxosOptions(context.options);
    this.reads = new ReadBarriers(this.id, PENDING_READS_MAX);
    this.rng = context.rng.split('election');
    this.acceptor = new MultiAcceptor<C>(this.id);
    this.effects = {
      send: (to, message) => this.send(to, message),
      persist: (record) => this.persist(record),
      note: (kind, text, data) => this.batch.notes.push({ kind, text, data }),
    };
    for (const record of context.restored) {
      this.acceptor.restore(record);
      if (record.kind === 'chosen') this.restoreChosen(record.slots, record.entries);
      // A snapshot written before configurations were kept in it is of the boot configuration.
      if (record.kind === 'snapshot')
        this.log.install(
          { ...record.snapshot, config: record.snapshot.config ?? this.bootConfig },
          true,
        );
    }
    this.highestSeen = maxBallot(this.highestSeen, this.acceptor.promised);
    this.electionAtTick = this.electionDeadline();
  }

  // --- the ReplicatedLog contract ---

  propose(command: C): boolean {
    if (
      this.role !== 'leader' ||
      this.leavingAfterSlot !== undefined ||
      this.queue.length >= this.options.queuedCommandsMax
    )
      return false;
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
    if (
      this.role !== 'leader' ||
      this.extendingAfterSlot !== undefined ||
      this.leavingAfterSlot !== undefined
    )
      return false;
    const quorum = quorumOfAll([this.log.config, this.configFor(this.nextSlot)]);
    if (!this.reads.request(readId, this.nextSlot - 1, quorum)) return false;
    for (const to of this.peers) if (to !== this.id) this.send(to, this.accept([]));
    return true;
  }

  compact(index: number, data: unknown): void {
    const slot = this.log.slotEndingAt(index);
    if (slot === undefined) return; // not at a slot boundary: wait for the next snapshot
    const snapshot = { slot, index, data, config: this.log.configs.at(slot + 1) };
    this.log.compacted(snapshot);
    this.acceptor.dropThrough(slot);
    this.batch.persist.push({ kind: 'replace', records: this.durableState(snapshot) });
  }

  step(from: NodeId, message: MultiPaxosMessage<C>): void {
    this.dispatch(from, message);
    this.drainLocal();
  }

  tick(): void {
    this.nowTick++;
    if (this.role === 'leader') {
      if (this.nowTick >= this.heartbeatAtTick) this.heartbeat();
    } else if (this.nowTick >= this.electionAtTick) {
      if (this.mayRunPhase1()) this.startElection();
      else {
        if (this.role === 'candidate') this.stepDown('not a voter of the configuration in force');
        this.electionAtTick = this.electionDeadline();
      }
    }
    this.drainLocal();
  }

  // --- membership changes ---

  /**
   * Asks the leader to change the configuration (one voter added or removed, learners freely): the
   * new configuration goes into the next slot and governs the slots after it. An error text when
   * it cannot now: not the leader, or a change not yet chosen (one at a time).
   */
  proposeConfigChange(target: {
    readonly voters: readonly NodeId[];
    readonly learners?: readonly NodeId[];
  }): string | undefined {
    if (this.role !== 'leader' || this.leavingAfterSlot !== undefined) return 'not the leader';
    if (!this.configSettled()) return 'a configuration change is in progress';
    const next = nextConfig(this.configFor(this.nextSlot), target);
    if (typeof next === 'string') return next;
    this.pendingConfig = next;
    this.fillPipeline();
    this.drainLocal();
    return undefined;
  }

  /**
   * The configuration in force here (at a leader, the one its next slot is governed by) and whether
   * it is settled: no change asked for, in phase 2, or waiting for the new voters' promises.
   */
  configuration(): { readonly config: MultiPaxosConfig; readonly settled: boolean } {
    if (this.role !== 'leader') return { config: this.log.config, settled: true };
    return { config: this.configFor(this.nextSlot), settled: this.configSettled() };
  }

  /** At the leader: the chosen prefix (in slots) known stored on `id`; undefined elsewhere. */
  chosenSlotOf(id: NodeId): number | undefined {
    if (this.role !== 'leader') return undefined;
    return id === this.id ? this.log.commitSlot : this.followerChosen.get(id);
  }

  /**
   * Only a voter runs phase 1 (not a learner, a removed node, or a joining node that has not
   * learned its configuration yet): a voter of the configuration in force, or of one it accepted
   * after it. The second is for liveness: a node that lost, in a restart, what it had learned (only
   * accepted slots are durable) and whose leader left may be the only voter that can move on; who
   * runs phase 1 never matters to safety.
   */
  private mayRunPhase1(): boolean {
    if (isVoterOf(this.log.config, this.id)) return true;
    for (const { slot, value } of this.acceptor.accepted.values())
      if (slot > this.log.commitSlot && isConfigValue(value) && isVoterOf(value.config, this.id))
        return true;
    return false;
  }

  private configSettled(): boolean {
    return (
      this.pendingConfig === undefined &&
      this.extendingAfterSlot === undefined &&
      !this.configInFlight()
    );
  }

  /** Window α = 1: no slot is proposed beyond a configuration slot not yet chosen. */
  private configInFlight(): boolean {
    for (const inflight of this.inflight.values()) if (isConfigValue(inflight.value)) return true;
    return false;
  }

  /** The configuration governing `slot`, counting this leader's own configuration slots in phase 2. */
  private configFor(slot: number): MultiPaxosConfig {
    let { slot: from, config } = this.log.configs.governing(slot);
    for (const [at, inflight] of this.inflight)
      if (at < slot && at > from && isConfigValue(inflight.value)) {
        from = at;
        config = inflight.value.config;
      }
    return config;
  }

  hasReady(): boolean {
    return (
      !isReadyEmpty(this.batch) ||
      this.learnedOverdue() ||
      this.log.hasPending() ||
      this.reads.hasReady(this.log.emittedSlot)
    );
  }

  ready(): LogReady<C, MultiPaxosMessage<C>, MultiPaxosRecord<C>> {
    if (
      this.learnedSinceTick !== undefined &&
      (this.batch.persist.length > 0 || this.learnedOverdue())
    ) {
      this.batch.persist.push({ kind: 'append', records: [{ kind: 'chosen', ...this.learned }] });
      this.learned = { slots: [], entries: [] };
      this.learnedSinceTick = undefined;
    }
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
        config: describeConfig(this.configuration().config),
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
        this.onPromise(from, message);
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
    if (message.commitOnly === true) return;
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
      if (!inflight.quorum.isQuorum(inflight.acks)) continue;
      this.inflight.delete(slot);
      this.learn(slot, inflight.value);
      progressed = true;
    }
    if (this.leavingAfterSlot !== undefined) this.leaveOnceKnown();
    else if (progressed) {
      const sent = this.acceptsSent;
      this.fillPipeline();
      // The followers learn (and apply) now, not at the next heartbeat: a request a follower
      // forwarded is answered sooner, and what it serves locally is fresher (Raft does the same).
      if (this.acceptsSent === sent)
        for (const to of this.peers)
          if (to !== this.id) this.send(to, { ...this.accept([]), commitOnly: true });
    }
  }

  private onPromise(from: NodeId, promised: Promised<C> & { readonly ballot: Ballot }): void {
    if (this.role === 'follower' || !ballotEquals(promised.ballot, this.ballot)) return;
    if (promised.snapshot !== null) this.installSnapshot(promised.snapshot);
    this.promises.set(from, promised);
    if (this.role === 'candidate') this.continuePhase1();
    else if (this.extendingAfterSlot !== undefined) this.continueExtension();
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
    this.promises.clear();
    this.prepared.clear();
    if (this.variant === 'skip-phase1-on-takeover') {
      this.takeOver(this.log.commitSlot + 1, []);
      return;
    }
    this.role = 'candidate';
    const fromSlot = this.log.commitSlot + 1;
    this.prepareFromSlot = fromSlot;
    this.promises.set(this.id, { fromSlot, accepted: this.ownAccepted(fromSlot), snapshot: null });
    this.effects.note(
      'prepare',
      `${this.id} prepares ballot ${formatBallot(this.ballot)} from slot ${fromSlot}`,
    );
    this.continuePhase1();
  }

  /**
   * Phase 1 holds once the promises include a majority of every configuration governing the slots
   * it recovers (planRecovery); until then, ask the voters of the configuration still short.
   */
  private continuePhase1(): void {
    const plan = planRecovery(
      this.promises,
      this.log.commitSlot,
      this.log.config,
      this.ownAccepted(this.log.commitSlot + 1),
      {
        trustOwnLogOnly: this.variant === 'noop-without-quorum',
        oneConfigOnly: this.variant === 'phase1-in-one-config',
      },
    );
    if (!plan.complete) {
      this.prepareVoters(plan.waitingFor, this.prepareFromSlot, false);
      return;
    }
    const last = plan.proposals.at(-1)?.slot ?? this.log.commitSlot;
    this.takeOver(last + 1, plan.proposals);
  }

  /** Sends this ballot's prepare to the voters of `config` not asked yet (`again`: not answered yet). */
  private prepareVoters(config: MultiPaxosConfig, fromSlot: number, again: boolean): void {
    for (const to of config.voters) {
      if (to === this.id || this.promises.has(to) || (!again && this.prepared.has(to))) continue;
      this.prepared.add(to);
      this.send(to, { type: 'prepare', ballot: this.ballot, fromSlot });
    }
  }

  private takeOver(nextSlot: number, proposals: readonly SlotProposal<C>[]): void {
    this.role = 'leader';
    this.leaderId = this.id;
    this.inflight.clear();
    this.reads.reset();
    this.lastHeardTick.clear();
    this.followerChosen.clear();
    this.extendingAfterSlot = undefined;
    this.leavingAfterSlot = undefined;
    this.pendingConfig = undefined;
    this.nextSlot = nextSlot;
    this.effects.note(
      'leader',
      `${this.id} leads ballot ${formatBallot(this.ballot)}, re-proposing ${proposals.length} slots`,
      {
        ballot: this.ballot,
        slots: proposals.length,
      },
    );
    this.proposeAll(proposals);
    // Even with nothing to re-propose: the accept tells the acceptors who leads and starts its lease.
    this.broadcastAccept(proposals);
    this.heartbeatAtTick = this.nowTick + this.options.heartbeatTicks;
    this.fillPipeline();
  }

  /** Phase 2 for `proposals` (recovered slots, in order), each counted in its own configuration. */
  private proposeAll(proposals: readonly SlotProposal<C>[]): void {
    for (const { slot, value } of proposals) this.startPhase2(slot, value);
    this.refreshPeers();
  }

  /** `value` enters phase 2 in `slot`, chosen by a majority of the voters governing that slot. */
  private startPhase2(slot: number, value: SlotValue<C>): void {
    this.inflight.set(slot, {
      value,
      acks: new Set(),
      quorum: majorityQuorum(this.configFor(slot).voters),
    });
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
    this.prepared.clear();
    this.extendingAfterSlot = undefined;
    this.leavingAfterSlot = undefined;
    this.pendingConfig = undefined;
    this.electionAtTick = this.electionDeadline();
  }

  /**
   * A configuration chosen in `slot` governs the slots after it. A leader it removes proposes
   * nothing more, tells the others what is chosen and steps down once they know (`leaveOnceKnown`);
   * a leader it keeps must hold promises from a majority of its voters before it proposes past
   * `slot` (their acceptors may hold what another leader got accepted there).
   */
  private onConfigChosen(slot: number, config: MultiPaxosConfig): void {
    this.effects.note(
      'config',
      `${this.id}: slot ${slot} chose configuration ${describeConfig(config)}`,
      {
        slot,
        config,
      },
    );
    if (this.role !== 'leader') return;
    this.refreshPeers();
    if (!isVoterOf(this.configFor(this.nextSlot), this.id) && !this.configInFlight()) {
      // The heartbeat carries the commit slot, so the voters left learn the change now.
      this.leavingAfterSlot = slot;
      for (const to of this.peers) if (to !== this.id) this.send(to, this.accept([]));
      this.leaveOnceKnown();
      return;
    }
    if (this.variant === 'phase1-in-one-config') return; // its phase 1 never reaches past the first
    this.extendingAfterSlot = Math.max(slot, this.extendingAfterSlot ?? 0);
    this.prepared.clear(); // whoever has not promised is asked (again), with the new slot
    this.continueExtension();
  }

  /**
   * A removed leader steps down once a majority of the new voters report the change chosen: had
   * it stepped down at once, and its last heartbeat been lost, they would still think the old
   * configuration in force, where they may not be voters, and nobody would run phase 1.
   */
  private leaveOnceKnown(): void {
    const after = this.leavingAfterSlot;
    if (after === undefined) return;
    const informed = new Set<NodeId>();
    for (const [id, chosen] of this.followerChosen) if (chosen >= after) informed.add(id);
    if (majorityQuorum(this.configFor(this.nextSlot).voters).isQuorum(informed))
      this.stepDown('removed from the configuration');
  }

  /** The leader's phase 1 reaches a configuration it chose: see `onConfigChosen`. */
  private continueExtension(again = false): void {
    const after = this.extendingAfterSlot;
    if (after === undefined) return;
    const plan = planRecovery(this.promises, after, this.configFor(after + 1), [], {
      trustOwnLogOnly: false,
      oneConfigOnly: false,
    });
    if (!plan.complete) {
      this.prepareVoters(plan.waitingFor, after + 1, again);
      return;
    }
    this.extendingAfterSlot = undefined;
    // Slots below nextSlot were proposed in this ballot already, from promises that covered them.
    const fresh = plan.proposals.filter((proposal) => proposal.slot >= this.nextSlot);
    this.nextSlot = Math.max(this.nextSlot, (fresh.at(-1)?.slot ?? 0) + 1);
    this.proposeAll(fresh);
    if (fresh.length > 0) this.broadcastAccept(fresh);
    this.fillPipeline();
  }

  /** Whom to send accepts to: everyone in the configurations of the slots this leader decides. */
  private refreshPeers(): void {
    const ids = new Set([
      ...membersOf(this.log.config),
      ...membersOf(this.configFor(this.nextSlot)),
    ]);
    for (const inflight of this.inflight.values())
      if (isConfigValue(inflight.value))
        for (const id of membersOf(inflight.value.config)) ids.add(id);
    this.peers = [...ids].sort((a, b) => a - b);
    // A member new to this leader gets an election timeout to answer before it counts as silent.
    for (const id of this.peers)
      if (!this.lastHeardTick.has(id)) this.lastHeardTick.set(id, this.nowTick);
  }

  /**
   * Batching and pipelining: queued commands go out in slots of up to `batchCommandsMax`,
   * `pipelineSlotsMax` slots at a time; a configuration change goes first, in a slot of its own, and
   * nothing goes past it until it is chosen (α = 1).
   */
  private fillPipeline(): void {
    if (
      this.role !== 'leader' ||
      this.extendingAfterSlot !== undefined ||
      this.leavingAfterSlot !== undefined
    )
      return;
    while (this.inflight.size < this.options.pipelineSlotsMax && !this.configInFlight()) {
      let value: SlotValue<C>;
      if (this.pendingConfig !== undefined) {
        value = { config: this.pendingConfig };
        this.pendingConfig = undefined;
      } else if (this.queue.length > 0) {
        const { batchCommandsMax, messageBytesMax } = this.options;
        value = this.queue.splice(
          0,
          countWithinLength(this.queue, jsonLengthOf, messageBytesMax, batchCommandsMax),
        );
      } else return;
      const slot = this.nextSlot++;
      this.startPhase2(slot, value);
      if (isConfigValue(value)) {
        this.effects.note(
          'config',
          `${this.id} proposes configuration ${describeConfig(value.config)} in slot ${slot}`,
        );
        this.refreshPeers();
      }
      this.broadcastAccept([{ slot, value }]);
    }
  }

  private broadcastAccept(entries: readonly SlotProposal<C>[]): void {
    this.acceptsSent++;
    for (const to of this.peers) this.send(to, this.accept(entries));
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

  /**
   * Every heartbeat: retransmit unacknowledged slots (or an empty accept), catch laggards up, check
   * that a majority of the configuration in force (and of the one it changes to) was heard from.
   */
  private heartbeat(): void {
    this.heartbeatAtTick = this.nowTick + this.options.heartbeatTicks;
    const heardSince = this.nowTick - this.options.electionTicks;
    const live = new Set(
      this.peers.filter((id) => id === this.id || (this.lastHeardTick.get(id) ?? 0) >= heardSince),
    );
    if (!quorumOfAll([this.log.config, this.configFor(this.nextSlot)]).isQuorum(live)) {
      this.stepDown('no quorum heard from within electionTicks');
      return;
    }
    // The leader is an acceptor too: while it leads, it refuses other proposers' prepares as its
    // followers do (else a node that cannot hear it, e.g. one whose address moved, unseats it).
    this.acceptor.renewLease(this.id, this.nowTick, this.options.leaseTicks);
    this.continueExtension(true); // the prepares of a configuration reached, again if lost
    for (const to of this.peers) {
      if (to === this.id) continue;
      const entries: SlotProposal<C>[] = [];
      for (const [slot, inflight] of this.inflight)
        if (!inflight.acks.has(to) && entries.length < this.options.catchUpSlotsMax)
          entries.push({ slot, value: inflight.value });
      const fit = countWithinLength(entries, slotLength, this.options.messageBytesMax);
      this.send(to, this.accept(entries.slice(0, fit)));
      this.catchUp(to);
    }
  }

  private catchUp(to: NodeId): void {
    const chosen = this.followerChosen.get(to);
    if (chosen === undefined || chosen >= this.log.commitSlot) return;
    const range = this.log.range(
      chosen,
      this.options.catchUpSlotsMax,
      this.options.messageBytesMax,
    );
    if (range !== undefined) {
      this.send(to, { type: 'catch-up', ballot: this.ballot, chosen: range, snapshot: null });
      return;
    }
    const snapshot = this.log.snapshot;
    assert(snapshot !== null, 'compacted without a snapshot');
    const after =
      this.log.range(snapshot.slot, this.options.catchUpSlotsMax, this.options.messageBytesMax) ??
      [];
    this.send(to, { type: 'catch-up', ballot: this.ballot, chosen: after, snapshot });
  }

  // --- learning ---

  private learn(slot: number, value: SlotValue<C>): void {
    if (!this.log.learn(slot, value)) return;
    // The value is usually the one our acceptor holds (and wrote in this batch): name the slot only.
    if (this.acceptor.accepted.get(slot)?.value === value) this.learned.slots.push(slot);
    else this.learned.entries.push({ slot, value });
    this.learnedSinceTick ??= this.nowTick;
    this.recordAudit({ kind: 'learn', slot, value });
    if (isConfigValue(value)) this.onConfigChosen(slot, value.config);
  }

  private installSnapshot(snapshot: LogSnapshot): void {
    if (!this.log.install(snapshot, true)) return;
    this.acceptor.dropThrough(snapshot.slot);
    for (const slot of [...this.inflight.keys()])
      if (slot <= snapshot.slot) this.inflight.delete(slot);
    this.nextSlot = Math.max(this.nextSlot, snapshot.slot + 1);
    if (this.role === 'leader') this.refreshPeers();
    this.batch.persist.push({ kind: 'replace', records: this.durableState(snapshot) });
  }

  /** Everything a restart needs after a compaction: the snapshot, the acceptor, the slots chosen since. */
  private durableState(snapshot: LogSnapshot): MultiPaxosRecord<C>[] {
    const chosen = this.log.range(snapshot.slot, Number.MAX_SAFE_INTEGER, 0) ?? [];
    return [
      { kind: 'snapshot', snapshot },
      ...this.acceptor.records(),
      ...(chosen.length === 0 ? [] : [{ kind: 'chosen' as const, slots: [], entries: chosen }]),
    ];
  }

  private learnedOverdue(): boolean {
    return (
      this.learnedSinceTick !== undefined &&
      this.nowTick - this.learnedSinceTick >= this.options.heartbeatTicks
    );
  }

  private restoreChosen(slots: readonly number[], entries: readonly SlotProposal<C>[]): void {
    for (const slot of slots) {
      const accepted = this.acceptor.accepted.get(slot);
      if (accepted !== undefined) this.log.learn(slot, accepted.value);
    }
    for (const { slot, value } of entries) this.log.learn(slot, value);
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
