import { assert } from '../../core/assert.js';
import { SynodError } from '../../core/errors.js';
import type { NodeId } from '../../core/ids.js';
import type {
  Envelope,
  NodeContext,
  NodeInspection,
  PersistOp,
  ProtocolNote,
} from '../../core/protocol.js';
import type { ReadState, LogReady, ReplicatedLog } from '../../core/replicated-log.js';
import type { Rng } from '../../core/rng.js';
import {
  type ConfigTarget,
  type RaftConfig,
  EMPTY_CONFIG,
  allMembers,
  allVoters,
  describeConfig,
  initialConfig,
  isJoint,
  isVoter,
  leaveJoint,
  nextConfig,
} from './config.js';
import { RaftLog } from './log.js';
import {
  type RaftEntry,
  type RaftMessage,
  type RaftSnapshot,
  isFromLeader,
  isWellFormed,
} from './messages.js';
import { type RaftOptions, parseRaftOptions } from './options.js';
import { type ReadRequest, ReadOnlyRounds } from './read-only.js';
import { type RaftRecord, readRecords } from './records.js';
import { Tracker } from './tracker.js';
import { type RaftVariant, isRaftVariant } from './variants.js';

export type RaftRole = 'follower' | 'pre-candidate' | 'candidate' | 'leader';
type CampaignKind = 'pre-vote' | 'election' | 'transfer';
type Message<C> = RaftMessage<C>;
type Of<C, T extends Message<C>['type']> = Extract<Message<C>, { type: T }>;

/** Forwarded batches a leader remembers per sender to drop duplicates. */
const FORWARDS_REMEMBERED_MAX = 4096;

type EntryPayload<C> = Omit<RaftEntry<C>, 'index' | 'term'>;

/** An entry at its place in the log (no object spread: this is the proposal hot path). */
function stamp<C>(payload: EntryPayload<C>, index: number, term: number): RaftEntry<C> {
  if (payload.config !== undefined) return { index, term, config: payload.config };
  if ('command' in payload) return { index, term, command: payload.command as C };
  return { index, term };
}

interface HardState {
  readonly term: number;
  readonly vote: NodeId | null;
  readonly commit: number;
}

/**
 * One Raft node (etcd-io/raft's `raft` struct): a pure state machine driven by `step`, `tick` and
 * client calls, whose effects leave through `ready()`. Rules of the paper are marked with their
 * section; README.md maps each rule to the function that implements it.
 */
export class RaftNode<C> implements ReplicatedLog<C, RaftMessage<C>, RaftRecord<C>> {
  readonly id: NodeId;
  readonly options: RaftOptions;
  readonly variant: RaftVariant;
  readonly log = new RaftLog<C>();
  readonly tracker: Tracker;
  role: RaftRole = 'follower';
  term = 0;
  vote: NodeId | undefined;
  lead: NodeId | undefined;

  private readonly rng: Rng;
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTicks = 0;
  private ticks = 0;
  /**
   * Leader: per member, the send tick of the latest heartbeat it answered in this term. The
   * member reset its election timer after that tick, so its promise not to vote runs from there.
   */
  private readonly lastHeardTick = new Map<NodeId, number>();
  /** Lease reads pause until this tick after a leadership transfer was started. */
  private leaseSuspendedUntilTick = 0;
  private leadTransferee: NodeId | undefined;
  /** The log's `configVersion` the tracker's configuration was derived from. */
  private configVersionSeen = -1;
  /** The configuration at `log.snapshotIndex`. */
  private baseConfig: RaftConfig;
  private snapshot: RaftSnapshot | undefined;
  private readonly readOnly: ReadOnlyRounds;
  /** Leader: reads that arrived before the first commit of this term (§6.4: wait for it). */
  private readsAwaitingCommit: ReadRequest[] = [];
  private forwardCommands: C[] = [];
  /** The id of the last forwarded batch; starts at random so a restarted node does not reuse ids. */
  private forwardBatchId: number;
  /** Leader: forwarded batches appended this term, per sender (the network may duplicate them). */
  private readonly forwardsSeen = new Map<NodeId, Set<number>>();
  private forwardReadIds: number[] = [];
  private broadcastPending = false;

  private messages: Envelope<Message<C>>[] = [];
  private notes: ProtocolNote[] = [];
  private readStates: ReadState[] = [];
  private snapshotForApp: { index: number; data: unknown } | undefined;
  private needsReplace = false;
  /** A local compaction: its snapshot is written as a background replace (see `takePersist`). */
  private needsCompactionWrite = false;
  private persisted: HardState = { term: 0, vote: null, commit: 0 };

  constructor(context: NodeContext<RaftRecord<C>>) {
    if (!isRaftVariant(context.variant))
      throw new SynodError('RAFT_BAD_VARIANT', `unknown Raft variant "${context.variant}"`);
    this.id = context.id;
    this.variant = context.variant;
    this.options = this.variantOptions(parseRaftOptions(context.options));
    this.rng = context.rng;
    this.forwardBatchId = context.rng.split('forward-batch').int(0, 2 ** 40);
    this.baseConfig = this.options.join ? EMPTY_CONFIG : initialConfig(context.members);
    this.tracker = new Tracker(
      this.baseConfig,
      this.options.maxInflightMessages,
      this.options.maxInflightBytes,
    );
    this.readOnly = new ReadOnlyRounds(this.options.pendingMax);
    this.restore(context.restored);
    this.resetRandomizedElectionTicks();
  }

  private variantOptions(options: RaftOptions): RaftOptions {
    if (this.variant !== 'no-prevote-disruption') return options;
    return { ...options, preVote: false, checkQuorum: false, readMode: 'read-index' };
  }

  // ---------------------------------------------------------------- restart

  private restore(records: readonly RaftRecord<C>[]): void {
    if (records.length === 0) return;
    const state = readRecords(records);
    if (state.snapshot !== undefined) {
      this.snapshot = state.snapshot;
      this.baseConfig = state.snapshot.config;
      this.log.resetTo(state.snapshot.index, state.snapshot.term);
      this.snapshotForApp = { index: state.snapshot.index, data: state.snapshot.data };
      this.log.applied = state.snapshot.index;
    }
    for (const batch of state.entryBatches) this.log.loadEntries(batch);
    this.term = state.term;
    this.vote = state.vote;
    this.persisted = { term: state.term, vote: state.vote ?? null, commit: state.commit };
    this.refreshConfig();
    this.commitTo(Math.min(state.commit, this.log.lastIndex()));
    this.note(
      'restart',
      `restarted at term ${this.term}, log ${this.log.lastIndex()}, commit ${this.log.committed}`,
    );
  }

  // ---------------------------------------------------------------- the ReplicatedLog contract

  propose(command: C): boolean {
    if (this.role === 'leader') {
      if (this.leadTransferee !== undefined) return false; // etcd: proposals wait out a transfer
      this.appendEntries([{ command }]);
      return true;
    }
    if (this.lead === undefined || this.forwardCommands.length >= this.options.pendingMax)
      return false;
    this.forwardCommands.push(command); // batched into one `propose` message at ready()
    return true;
  }

  leader(): NodeId | undefined {
    return this.lead;
  }

  requestReadBarrier(readId: number): boolean {
    if (this.role === 'leader') return this.onReadRequests([{ readId, origin: this.id }]);
    if (this.lead === undefined || this.forwardReadIds.length >= this.options.pendingMax)
      return false;
    this.forwardReadIds.push(readId);
    return true;
  }

  compact(index: number, data: unknown): void {
    if (index <= this.log.snapshotIndex) return;
    assert(
      index <= this.log.applied,
      `compact(${index}) beyond the applied index ${this.log.applied}`,
    );
    const config = this.configAt(index);
    this.snapshot = { index, term: this.log.term(index) as number, config, data };
    this.baseConfig = config;
    this.log.compact(index);
    this.needsCompactionWrite = true;
  }

  /** Asks the leader to hand leadership to `to` (§3.10 of the dissertation). False if not possible. */
  transferLeadership(to: NodeId): boolean {
    if (this.role !== 'leader' || to === this.id || !this.tracker.isVoter(to)) return false;
    if (this.leadTransferee === to) return true;
    this.leadTransferee = to;
    this.electionElapsed = 0; // the transfer gets one election timeout to finish
    this.note('transfer', `transferring leadership to ${to}`);
    const progress = this.tracker.progress.get(to);
    if (progress !== undefined && progress.match === this.log.lastIndex()) this.sendTimeoutNow(to);
    else this.sendAppend(to, true);
    return true;
  }

  /**
   * Proposes a membership change. Changing one voter is done directly; anything bigger goes through
   * joint consensus, which the leader leaves on its own once the joint entry commits. Returns an
   * error text when the change cannot be proposed now.
   */
  proposeConfigChange(target: ConfigTarget): string | undefined {
    if (this.role !== 'leader') return 'not the leader';
    // One change at a time: the last one must be committed (and a joint one left) first.
    if (!this.configCommitted() || isJoint(this.tracker.config))
      return 'a configuration change is in progress';
    // Ongaro's fix to single-server changes (raft-dev, 2015): a new leader first commits an entry
    // of its term, or a change it proposes may not overlap one a previous leader left uncommitted.
    if (!this.committedInCurrentTerm())
      return 'the leader has not committed an entry of its term yet';
    const config = nextConfig(this.tracker.config, target);
    if (typeof config === 'string') return config;
    this.appendEntries([{ config }]);
    return undefined;
  }

  // ---------------------------------------------------------------- clock

  tick(): void {
    this.ticks++;
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (!this.promotable() || this.electionElapsed < this.randomizedElectionTicks) return;
    this.electionElapsed = 0;
    this.campaign(this.options.preVote ? 'pre-vote' : 'election');
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.options.electionTicks) {
      this.electionElapsed = 0;
      // CheckQuorum: a leader cut off from a quorum steps down, so that its lease ends and clients
      // find the new leader.
      if (this.options.checkQuorum && !this.tracker.quorumActive(this.id)) {
        this.note('step-down', `stepped down at term ${this.term}: no quorum heard from`);
        this.becomeFollower(this.term, undefined);
        return;
      }
      if (this.leadTransferee !== undefined) this.abortTransfer('timed out');
    }
    if (this.heartbeatElapsed >= this.options.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.broadcastHeartbeat(this.readOnly.latestRound());
    }
  }

  private resetRandomizedElectionTicks(): void {
    const ticks = this.options.electionTicks;
    this.randomizedElectionTicks = ticks + this.rng.int(0, ticks - 1);
  }

  /** The randomized election timeout now in force, for tests of its distribution. */
  electionTimeoutTicks(): number {
    return this.randomizedElectionTicks;
  }

  // ---------------------------------------------------------------- role changes

  /**
   * Whether this node may start an election: it is a voter of the configuration in force — or of
   * the committed one while a change that removes it is still uncommitted. Without that second
   * case a removed leader that steps down early (CheckQuorum) could hold the only copy of the
   * change and never get to finish it. The votes are still counted in the configuration in force.
   */
  private promotable(): boolean {
    if (this.tracker.isVoter(this.id)) return true;
    return !this.configCommitted() && isVoter(this.configAt(this.log.committed), this.id);
  }

  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = undefined;
    }
    this.lead = undefined;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTicks();
    this.leadTransferee = undefined;
    this.tracker.resetVotes();
    this.readOnly.clear();
    this.readsAwaitingCommit = [];
    this.lastHeardTick.clear();
    this.forwardsSeen.clear();
  }

  becomeFollower(term: number, lead: NodeId | undefined): void {
    const before = this.role;
    this.reset(term);
    this.role = 'follower';
    this.lead = lead;
    if (before !== 'follower') this.note('role', `became follower at term ${term}`);
  }

  private becomePreCandidate(): void {
    // Pre-Vote changes neither term nor vote: a node that cannot win disturbs nobody.
    this.tracker.resetVotes();
    this.lead = undefined;
    this.role = 'pre-candidate';
    this.note('role', `became pre-candidate at term ${this.term}`);
  }

  private becomeCandidate(): void {
    assert(this.role !== 'leader', 'a leader cannot become a candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
    this.note('role', `became candidate at term ${this.term}`);
  }

  private becomeLeader(): void {
    assert(this.role === 'candidate', 'only a candidate becomes leader');
    this.reset(this.term);
    this.role = 'leader';
    this.lead = this.id;
    this.tracker.resetProgress(this.log.lastIndex(), this.id);
    this.note('role', `became leader at term ${this.term}`);
    // §5.4.2 / §8: an empty entry of the new term commits the entries of earlier terms and lets the
    // leader learn the commit index before it serves reads. The Figure 8 variant leaves it out.
    if (this.variant !== 'commit-old-term') this.appendEntries([{}]);
    else this.broadcastPending = true;
  }

  /** Election start (§5.2): a follower whose timeout fires campaigns; Pre-Vote asks first. */
  campaign(kind: CampaignKind): void {
    if (!this.promotable() || this.role === 'leader') return;
    if (kind === 'pre-vote') this.becomePreCandidate();
    else this.becomeCandidate();
    const voteTerm = kind === 'pre-vote' ? this.term + 1 : this.term;
    if (this.tracker.recordVote(this.id, true) === 'won') {
      this.onElectionWon(kind);
      return;
    }
    for (const to of allVoters(this.tracker.config)) {
      if (to === this.id) continue;
      this.send(to, {
        type: 'vote-request',
        term: voteTerm,
        preVote: kind === 'pre-vote',
        lastIndex: this.log.lastIndex(),
        lastTerm: this.log.lastTerm(),
        transfer: kind === 'transfer',
      });
    }
  }

  private onElectionWon(kind: CampaignKind): void {
    if (kind === 'pre-vote') this.campaign('election');
    else this.becomeLeader();
  }

  // ---------------------------------------------------------------- message dispatch

  step(from: NodeId, message: Message<C>): void {
    if (!isWellFormed(message)) return; // from the network: ignore, never throw
    if (message.type === 'propose' || message.type === 'read-index') {
      this.onForwarded(from, message);
      return;
    }
    if (message.term > this.term && !this.onHigherTerm(from, message)) return;
    if (message.term < this.term) {
      this.onStaleTerm(from, message);
      return;
    }
    if (message.type === 'vote-request') {
      this.onVoteRequest(from, message);
      return;
    }
    switch (this.role) {
      case 'leader':
        this.stepLeader(from, message);
        break;
      case 'candidate':
      case 'pre-candidate':
        this.stepCandidate(from, message);
        break;
      case 'follower':
        this.stepFollower(from, message);
        break;
    }
  }

  /**
   * §5.1: a node that sees a higher term adopts it and becomes a follower. Exceptions: a vote
   * request while this node believes a leader holds its lease is ignored (CheckQuorum, §4.2.3 of
   * the dissertation), and Pre-Vote messages do not change anyone's term. Returns false to drop.
   */
  private onHigherTerm(from: NodeId, message: Message<C>): boolean {
    if (message.type === 'vote-request') {
      if (!message.transfer && this.inLease()) return false;
      if (message.preVote) return true;
    }
    if (message.type === 'vote-response' && message.preVote && message.granted) return true;
    this.becomeFollower(message.term, isFromLeader(message.type) ? from : undefined);
    return true;
  }

  /** Whether this node promises its leader not to vote for anyone else yet. */
  private inLease(): boolean {
    if (!this.options.checkQuorum) return false;
    // With lease reads, a node that just booted may have made a promise before its crash that it
    // no longer remembers; keeping quiet for one election timeout honours it.
    if (this.options.readMode === 'lease' && this.ticks < this.options.electionTicks) return true;
    return this.lead !== undefined && this.electionElapsed < this.options.electionTicks;
  }

  /**
   * §5.1: a message from an older term is ignored. A stale leader is answered, so that it learns
   * the newer term and steps down (needed with CheckQuorum/Pre-Vote, under which this node's term
   * may never reach it otherwise); a stale pre-candidate is refused.
   */
  private onStaleTerm(from: NodeId, message: Message<C>): void {
    if ((this.options.checkQuorum || this.options.preVote) && isFromLeader(message.type)) {
      this.send(from, this.appendResponse(0, false));
    } else if (message.type === 'vote-request' && message.preVote) {
      this.send(from, { type: 'vote-response', term: this.term, preVote: true, granted: false });
    }
  }

  /**
   * §5.2 and §5.4.1: grant at most one vote per term, first come first served, and only to a
   * candidate whose log is at least as up to date. The vote is recorded in the hard state, which
   * the driver persists before this reply leaves.
   */
  private onVoteRequest(from: NodeId, message: Of<C, 'vote-request'>): void {
    const canVote =
      this.vote === from ||
      (this.vote === undefined && this.lead === undefined) ||
      (message.preVote && message.term > this.term);
    const logOk =
      this.variant === 'vote-without-log-check' ||
      this.log.isUpToDate(message.lastIndex, message.lastTerm);
    const granted = canVote && logOk;
    // A granted pre-vote answers in the term asked about, so the pre-candidate counts it.
    const term = granted ? message.term : this.term;
    this.send(from, { type: 'vote-response', term, preVote: message.preVote, granted });
    if (granted && !message.preVote) {
      this.electionElapsed = 0;
      this.vote = from;
    }
  }

  private onForwarded(from: NodeId, message: Of<C, 'propose'> | Of<C, 'read-index'>): void {
    if (this.role !== 'leader') return; // forwarded once only: a stale hint is the client's problem
    if (message.type === 'propose') {
      if (this.leadTransferee !== undefined || message.commands.length === 0) return;
      if (message.leaderTerm !== this.term || !this.firstSightOfBatch(from, message.batchId))
        return;
      this.appendEntries(message.commands.map((command) => ({ command })));
    } else {
      this.onReadRequests(message.readIds.map((readId) => ({ readId, origin: from })));
    }
  }

  /**
   * A duplicated forward must not append its commands twice (each would be applied). Within a
   * term, remember the batches seen (bounded); across terms, `leaderTerm` already filters copies.
   */
  private firstSightOfBatch(from: NodeId, batchId: number): boolean {
    let seen = this.forwardsSeen.get(from);
    if (seen === undefined) this.forwardsSeen.set(from, (seen = new Set()));
    if (seen.has(batchId)) return false;
    seen.add(batchId);
    if (seen.size > FORWARDS_REMEMBERED_MAX) seen.delete(seen.values().next().value as number);
    return true;
  }

  private stepLeader(from: NodeId, message: Message<C>): void {
    switch (message.type) {
      case 'append-response':
        this.onAppendResponse(from, message);
        break;
      case 'heartbeat-response':
        this.onHeartbeatResponse(from, message);
        break;
      default:
        break; // votes and leader messages of our own term are stale here
    }
  }

  private stepCandidate(from: NodeId, message: Message<C>): void {
    if (isFromLeader(message.type)) {
      // §5.2: a candidate that hears from a leader of its term returns to follower.
      this.becomeFollower(this.term, from);
      this.stepFollower(from, message);
      return;
    }
    if (message.type !== 'vote-response') return;
    if (message.preVote !== (this.role === 'pre-candidate')) return;
    const result = this.tracker.recordVote(from, message.granted);
    if (result === 'won')
      this.onElectionWon(this.role === 'pre-candidate' ? 'pre-vote' : 'election');
    else if (result === 'lost') this.becomeFollower(this.term, undefined);
  }

  private stepFollower(from: NodeId, message: Message<C>): void {
    if (isFromLeader(message.type)) {
      this.electionElapsed = 0;
      this.lead = from;
    }
    switch (message.type) {
      case 'append':
        this.onAppend(from, message);
        break;
      case 'heartbeat':
        this.commitTo(Math.min(message.commit, this.log.lastIndex()));
        this.send(from, {
          type: 'heartbeat-response',
          term: this.term,
          readRound: message.readRound,
          sentTick: message.sentTick,
        });
        break;
      case 'snapshot':
        this.onSnapshot(from, message.snapshot);
        break;
      case 'timeout-now':
        this.note('transfer', `timeout-now from ${from}: campaigning at once`);
        this.campaign('transfer');
        break;
      case 'read-index-response':
        this.readStates.push({ readId: message.readId, index: message.index });
        break;
      default:
        break;
    }
  }

  // ---------------------------------------------------------------- replication, follower side

  private appendResponse(index: number, reject: boolean, rejectHint = 0, hintTerm = 0): Message<C> {
    return { type: 'append-response', term: this.term, index, reject, rejectHint, hintTerm };
  }

  /**
   * The AppendEntries receiver (§5.3): the consistency check on (prevIndex, prevTerm), truncation
   * only at a real conflict, and commit up to what the message vouched for. A rejection carries
   * etcd's hint so the leader skips a whole mismatching term per round trip.
   */
  private onAppend(from: NodeId, message: Of<C, 'append'>): void {
    if (message.prevIndex < this.log.committed) {
      this.send(from, this.appendResponse(this.log.committed, false));
      return;
    }
    const last = this.log.maybeAppend(message.prevIndex, message.prevTerm, message.entries);
    if (last !== undefined) {
      this.refreshConfig();
      this.commitTo(Math.min(message.commit, last));
      this.send(from, this.appendResponse(last, false));
      return;
    }
    const hintIndex = this.log.findConflictByTerm(
      Math.min(message.prevIndex, this.log.lastIndex()),
      message.prevTerm,
    );
    const hintTerm = this.log.term(hintIndex) ?? 0;
    this.send(from, this.appendResponse(message.prevIndex, true, hintIndex, hintTerm));
  }

  /** InstallSnapshot (§7): replace a diverged or short log with the leader's snapshot. */
  private onSnapshot(from: NodeId, snapshot: RaftSnapshot): void {
    if (snapshot.index <= this.log.committed) {
      this.send(from, this.appendResponse(this.log.committed, false));
      return;
    }
    if (this.log.matchTerm(snapshot.index, snapshot.term)) {
      // The log already holds the snapshot's last entry: keep the log, just commit.
      this.commitTo(snapshot.index);
      this.send(from, this.appendResponse(snapshot.index, false));
      return;
    }
    this.snapshot = snapshot;
    this.baseConfig = snapshot.config;
    this.log.resetTo(snapshot.index, snapshot.term);
    this.refreshConfig();
    this.snapshotForApp = { index: snapshot.index, data: snapshot.data };
    this.needsReplace = true;
    this.note('snapshot', `installed snapshot at ${snapshot.index} term ${snapshot.term}`);
    this.send(from, this.appendResponse(snapshot.index, false));
  }

  // ---------------------------------------------------------------- replication, leader side

  private appendEntries(payloads: readonly EntryPayload<C>[]): void {
    assert(this.role === 'leader', 'only the leader appends');
    let index = this.log.lastIndex();
    const term = this.term;
    this.log.append(payloads.map((payload) => stamp(payload, ++index, term)));
    this.refreshConfig();
    this.tracker.progress.get(this.id)?.maybeUpdate(this.log.lastIndex());
    // The leader's own match is the highest, so raising it moves the commit index only when the
    // leader alone is a quorum.
    if (this.tracker.isSoleQuorum(this.id)) this.maybeCommit();
    // Proposals between two ready() calls go out together: batching.
    this.broadcastPending = true;
  }

  /**
   * Sends `to` the next entries it needs, or a snapshot if they are compacted. In replicate state
   * `next` advances optimistically (pipelining) within the in-flight window.
   */
  private sendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    // A leader that just stepped down (removed by a config change) must not keep replicating.
    if (this.role !== 'leader') return false;
    const progress = this.tracker.progress.get(to);
    if (progress === undefined || to === this.id || progress.isPaused()) return false;
    const prevIndex = progress.next - 1;
    const prevTerm = this.log.term(prevIndex);
    if (prevTerm === undefined) return this.sendSnapshot(to);
    const entries =
      progress.next <= this.log.lastIndex()
        ? this.log.sliceForMessage(
            progress.next,
            this.options.maxEntriesPerMessage,
            this.options.maxBytesPerMessage,
          )
        : [];
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.send(to, {
      type: 'append',
      term: this.term,
      prevIndex,
      prevTerm,
      entries,
      commit: this.log.committed,
    });
    const bytes = this.options.maxInflightBytes > 0 ? this.log.bytesOf(entries) : 0;
    progress.sentAppend(prevIndex + entries.length, entries.length, bytes);
    return true;
  }

  private sendAppendsWhileOpen(to: NodeId): void {
    // Bounded: each send either pauses the progress or fills one slot of the in-flight window.
    for (let sent = 0; sent <= this.options.maxInflightMessages; sent++)
      if (!this.sendAppend(to, false)) return;
  }

  private sendSnapshot(to: NodeId): boolean {
    const progress = this.tracker.progress.get(to);
    assert(this.snapshot !== undefined && progress !== undefined, 'compacted log without snapshot');
    progress.becomeSnapshot(this.snapshot.index);
    this.send(to, { type: 'snapshot', term: this.term, snapshot: this.snapshot });
    this.note('snapshot', `sending snapshot ${this.snapshot.index} to ${to}`);
    return true;
  }

  private broadcastAppend(): void {
    for (const to of this.tracker.progress.keys()) {
      if (to === this.id) continue;
      this.sendAppend(to, true);
      this.sendAppendsWhileOpen(to);
    }
  }

  private broadcastHeartbeat(readRound: number): void {
    for (const [to, progress] of this.tracker.progress) {
      if (to === this.id) continue;
      // Never tell a follower to commit beyond what it is known to hold.
      const commit = Math.min(progress.match, this.log.committed);
      this.send(to, {
        type: 'heartbeat',
        term: this.term,
        commit,
        readRound,
        sentTick: this.ticks,
      });
    }
  }

  private heardFrom(from: NodeId): void {
    const progress = this.tracker.progress.get(from);
    if (progress !== undefined) progress.recentActive = true;
  }

  private onAppendResponse(from: NodeId, message: Of<C, 'append-response'>): void {
    const progress = this.tracker.progress.get(from);
    if (progress === undefined) return;
    this.heardFrom(from);
    if (message.reject) {
      const hint =
        message.hintTerm > 0
          ? this.log.findConflictByTerm(message.rejectHint, message.hintTerm)
          : message.rejectHint;
      if (progress.maybeDecrTo(message.index, hint)) {
        if (progress.state === 'replicate') progress.becomeProbe();
        this.sendAppend(from, true);
      }
      return;
    }
    if (!progress.maybeUpdate(message.index)) {
      this.sendAppendsWhileOpen(from);
      return;
    }
    if (progress.state === 'probe') progress.becomeReplicate();
    else if (progress.state === 'snapshot' && progress.match >= progress.pendingSnapshot) {
      progress.becomeProbe();
      progress.becomeReplicate();
    }
    if (this.maybeCommit()) this.broadcastAppend();
    else this.sendAppendsWhileOpen(from);
    if (from === this.leadTransferee && progress.match === this.log.lastIndex())
      this.sendTimeoutNow(from);
  }

  private onHeartbeatResponse(from: NodeId, message: Of<C, 'heartbeat-response'>): void {
    const progress = this.tracker.progress.get(from);
    if (progress === undefined) return;
    this.heardFrom(from);
    const leaseFromTick = this.lastHeardTick.get(from) ?? -1;
    if (message.sentTick > leaseFromTick && message.sentTick <= this.ticks)
      this.lastHeardTick.set(from, message.sentTick);
    progress.probeSent = false;
    if (progress.state === 'replicate' && progress.isInflightFull()) progress.freeFirstInflight();
    // A snapshot that was lost would leave the follower stuck; probe again instead.
    if (progress.state === 'snapshot') progress.becomeProbe();
    if (progress.match < this.log.lastIndex()) this.sendAppend(from, true);
    if (message.readRound > 0) this.onReadAck(from, message.readRound);
  }

  /**
   * The commit rule (§5.3, §5.4.2): the highest index stored on a quorum is committed only if its
   * entry is of the current term; earlier entries then commit with it (Log Matching). Counting
   * replicas of an old-term entry is the Figure 8 bug, kept as the `commit-old-term` variant.
   */
  private maybeCommit(): boolean {
    const index = Math.min(this.tracker.committedIndex(), this.log.lastIndex());
    if (index <= this.log.committed) return false;
    if (this.variant !== 'commit-old-term' && this.log.term(index) !== this.term) return false;
    this.commitTo(index);
    return true;
  }

  private commitTo(index: number): void {
    if (!this.log.commitTo(index)) return;
    if (this.role !== 'leader') return;
    if (!this.tracker.isVoter(this.id) && this.configCommitted()) {
      // §4.2.2 of the dissertation: a leader outside the new configuration steps down once it is
      // committed; until then it replicated without counting itself.
      this.note('step-down', `stepped down at term ${this.term}: removed from the configuration`);
      this.becomeFollower(this.term, undefined);
      return;
    }
    if (this.committedInCurrentTerm() && this.readsAwaitingCommit.length > 0) {
      const waiting = this.readsAwaitingCommit;
      this.readsAwaitingCommit = [];
      this.onReadRequests(waiting);
    }
    this.maybeLeaveJoint();
  }

  private committedInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  private sendTimeoutNow(to: NodeId): void {
    this.leaseSuspendedUntilTick = this.ticks + 2 * this.options.electionTicks;
    this.send(to, { type: 'timeout-now', term: this.term });
  }

  private abortTransfer(reason: string): void {
    this.note('transfer', `leadership transfer to ${this.leadTransferee} aborted: ${reason}`);
    this.leadTransferee = undefined;
  }

  // ---------------------------------------------------------------- membership

  /**
   * A configuration takes effect as soon as its entry is in the log, committed or not (§6 of the
   * paper, §4.1 of the dissertation), and reverts if the entry is truncated away. So a voter that
   * holds the entry ending a change never waits to learn that it committed.
   */
  private refreshConfig(): void {
    if (this.log.configVersion === this.configVersionSeen) return;
    this.configVersionSeen = this.log.configVersion;
    const config = this.configAt(this.log.lastIndex());
    if (config !== this.tracker.config) this.switchConfig(config);
  }

  /** Whether the configuration in force is committed (no change in flight). */
  private configCommitted(): boolean {
    return this.log.lastConfigIndex() <= this.log.committed;
  }

  private switchConfig(config: RaftConfig): void {
    this.tracker.setConfig(config);
    this.note('config', `configuration ${describeConfig(config)}`);
    if (this.role !== 'leader') return;
    this.tracker.syncProgress(this.log.lastIndex(), this.id);
    this.broadcastPending = true;
  }

  /** A joint configuration is left as soon as it is committed (etcd's auto-leave). */
  private maybeLeaveJoint(): void {
    if (this.role !== 'leader' || !isJoint(this.tracker.config) || !this.configCommitted()) return;
    this.appendEntries([{ config: leaveJoint(this.tracker.config) }]);
  }

  /** The configuration in force once `index` is applied. */
  private configAt(index: number): RaftConfig {
    const indexes = this.log.configIndexes(this.log.firstIndex(), index);
    const last = indexes.at(-1);
    return last === undefined ? this.baseConfig : (this.log.entryAt(last).config as RaftConfig);
  }

  // ---------------------------------------------------------------- reads

  /**
   * ReadIndex (§6.4 of the dissertation): the read index is the commit index when the request
   * arrives, valid once the leader has committed an entry of its term and confirmed with a quorum
   * that it is still the leader; with a valid lease the confirmation round is skipped.
   */
  private onReadRequests(requests: ReadRequest[]): boolean {
    if (!this.committedInCurrentTerm()) {
      if (this.readsAwaitingCommit.length + requests.length > this.options.pendingMax) return false;
      this.readsAwaitingCommit.push(...requests);
      return true;
    }
    const self = new Set([this.id]);
    if (
      this.tracker.quorum.isQuorum(self) ||
      (this.options.readMode === 'lease' && this.leaseValid())
    ) {
      this.answerReads(this.log.committed, requests);
      return true;
    }
    const round = this.readOnly.add(this.log.committed, requests, this.id);
    if (round === undefined) return false;
    this.broadcastHeartbeat(round);
    return true;
  }

  private onReadAck(from: NodeId, round: number): void {
    const acks = this.readOnly.ack(round, from);
    if (acks === undefined || !this.tracker.quorum.isQuorum(acks)) return;
    for (const released of this.readOnly.release(round))
      this.answerReads(released.index, released.requests);
  }

  /**
   * The leader lease: a follower that answered a heartbeat reset its election timer when it got
   * it — after the leader sent it — and ignores vote requests for `electionTicks` from then. So
   * while a quorum answered heartbeats sent within the last `electionTicks - leaseMarginTicks`
   * ticks, no other leader can exist — assuming no node's ticks run slower than ours by more than
   * the margin. Dating the lease from the send, not the answer, keeps slow answers safe.
   */
  private leaseValid(): boolean {
    if (this.leadTransferee !== undefined || this.ticks < this.leaseSuspendedUntilTick)
      return false;
    const windowTicks = this.options.electionTicks - this.options.leaseMarginTicks;
    const fresh = new Set<NodeId>([this.id]);
    for (const [id, tick] of this.lastHeardTick) if (this.ticks - tick < windowTicks) fresh.add(id);
    return this.tracker.quorum.isQuorum(fresh);
  }

  private answerReads(index: number, requests: readonly ReadRequest[]): void {
    for (const { readId, origin } of requests) {
      if (origin === this.id) this.readStates.push({ readId, index });
      else this.send(origin, { type: 'read-index-response', term: this.term, readId, index });
    }
  }

  // ---------------------------------------------------------------- output

  private send(to: NodeId, message: Message<C>): void {
    this.messages.push({ from: this.id, to, message });
  }

  private note(kind: string, text: string): void {
    this.notes.push({ kind, text: `${this.id}: ${text}` });
  }

  private hardState(): HardState {
    // The unsafe variant forgets its vote on a crash: it never writes it down.
    const vote = this.variant === 'vote-not-persisted' ? null : (this.vote ?? null);
    return { term: this.term, vote, commit: this.log.committed };
  }

  private hardStateChanged(): boolean {
    const now = this.hardState();
    return (
      now.term !== this.persisted.term ||
      now.vote !== this.persisted.vote ||
      now.commit !== this.persisted.commit
    );
  }

  hasReady(): boolean {
    return (
      this.messages.length > 0 ||
      this.notes.length > 0 ||
      this.readStates.length > 0 ||
      this.snapshotForApp !== undefined ||
      this.needsReplace ||
      this.needsCompactionWrite ||
      this.broadcastPending ||
      this.forwardCommands.length > 0 ||
      this.forwardReadIds.length > 0 ||
      this.log.committed > this.log.applied ||
      this.log.hasUnpersisted() ||
      this.hardStateChanged()
    );
  }

  ready(): LogReady<C, Message<C>, RaftRecord<C>> {
    this.flushOutgoing();
    const persist = this.takePersist();
    const committed = this.log.takeCommitted().map((entry) => ({
      index: entry.index,
      command: entry.command ?? null,
    }));
    const batch: LogReady<C, Message<C>, RaftRecord<C>> = {
      persist,
      sync: true,
      messages: this.messages,
      responses: [],
      notes: this.notes,
      committed,
      readStates: this.readStates,
    };
    if (this.snapshotForApp !== undefined) batch.snapshot = this.snapshotForApp;
    this.messages = [];
    this.notes = [];
    this.readStates = [];
    this.snapshotForApp = undefined;
    return batch;
  }

  private flushOutgoing(): void {
    if (this.broadcastPending && this.role === 'leader') this.broadcastAppend();
    this.broadcastPending = false;
    if (this.lead !== undefined && this.lead !== this.id) {
      if (this.forwardCommands.length > 0)
        this.send(this.lead, {
          type: 'propose',
          term: 0,
          leaderTerm: this.term,
          batchId: ++this.forwardBatchId,
          commands: this.forwardCommands,
        });
      if (this.forwardReadIds.length > 0)
        this.send(this.lead, { type: 'read-index', term: 0, readIds: this.forwardReadIds });
    }
    this.forwardCommands = [];
    this.forwardReadIds = [];
  }

  private takePersist(): PersistOp<RaftRecord<C>>[] {
    const hardState = this.hardState();
    const hardStateRecord: RaftRecord<C> = { type: 'hard-state', ...hardState };
    // A compaction that dropped entries not yet persisted here must rewrite everything at once.
    if (this.needsCompactionWrite && this.log.unpersistedCompacted()) this.needsReplace = true;
    if (this.needsReplace) {
      this.needsReplace = false;
      this.needsCompactionWrite = false;
      this.persisted = hardState;
      const records: RaftRecord<C>[] = [];
      if (this.snapshot !== undefined) records.push({ type: 'snapshot', snapshot: this.snapshot });
      records.push(hardStateRecord, { type: 'entries', entries: this.log.all() });
      return [{ kind: 'replace', records }];
    }
    const records: RaftRecord<C>[] = [];
    const entries = this.log.takeUnpersisted();
    if (entries.length > 0) records.push({ type: 'entries', entries });
    if (this.hardStateChanged()) {
      records.push(hardStateRecord);
      this.persisted = hardState;
    }
    const ops: PersistOp<RaftRecord<C>>[] =
      records.length === 0 ? [] : [{ kind: 'append', records }];
    if (this.needsCompactionWrite) {
      // Everything in it is durable once the append above is, so the store may write the
      // snapshot in the background while the batch goes out.
      this.needsCompactionWrite = false;
      const snapshot = this.snapshot as RaftSnapshot;
      ops.push({
        kind: 'replace',
        background: true,
        records: [
          { type: 'snapshot', snapshot },
          { type: 'hard-state', ...this.persisted },
          { type: 'entries', entries: this.log.all() },
        ],
      });
    }
    return ops;
  }

  // ---------------------------------------------------------------- inspection

  inspect(): NodeInspection {
    const first = Math.max(this.log.firstIndex(), this.log.lastIndex() - 199);
    const log = [];
    for (let index = first; index <= this.log.lastIndex(); index++)
      log.push({ index, term: this.log.term(index) as number });
    const progress: Record<string, unknown> = {};
    if (this.role === 'leader')
      for (const [id, tracked] of this.tracker.progress) progress[id] = tracked.toJSON();
    return {
      role: this.role,
      epoch: { name: 'term', value: this.term },
      leader: this.lead ?? null,
      state: {
        term: this.term,
        vote: this.vote ?? null,
        log,
        snapshotIndex: this.log.snapshotIndex,
        commitIndex: this.log.committed,
        lastApplied: this.log.applied,
        config: this.tracker.config,
        members: allMembers(this.tracker.config),
        progress,
        leadTransferee: this.leadTransferee ?? null,
      },
    };
  }
}
