import { SelfInbox } from '../../core/self-inbox.js';
import { assert } from '../../core/assert.js';
import {
  type Ballot,
  ballotEquals,
  compareBallots,
  formatBallot,
  maxBallot,
  nextBallot,
} from '../../core/ballot.js';
import { NODE_ID_MAX, type NodeId } from '../../core/ids.js';
import type { NodeContext, NodeInspection, ProtocolNode, Ready } from '../../core/protocol.js';
import { emptyReady, isReadyEmpty } from '../../core/protocol.js';
import { ThresholdQuorum, majority } from '../../core/quorum.js';
import { Acceptor } from '../paxos/acceptor.js';
import { Learner } from '../paxos/learner.js';
import type {
  AcceptedProposal,
  Effects,
  PaxosMessage,
  PaxosRecord,
  PaxosValue,
} from '../paxos/messages.js';
import { valueKey } from '../paxos/messages.js';
import {
  type FastPaxosOptions,
  type FastPaxosVariant,
  fastQuorumFor,
  isFastPaxosVariant,
  parseFastPaxosOptions,
} from './options.js';
import { type Pick, pickValue } from './pick-value.js';

/** Basic Paxos's messages, plus a proposer's value sent straight to the acceptors in a fast round. */
export type FastPaxosMessage =
  | PaxosMessage
  | { readonly type: 'propose-fast'; readonly instance: number; readonly value: PaxosValue };

/** Single-decree: one instance. */
const INSTANCE = 0;
/** Round 1 is the fast round every acceptor starts in (its "any" message is implicit). */
export const FAST_BALLOT: Ballot = Object.freeze({ round: 1, node: 0 });
/** Uncoordinated recovery's second fast round. Coordinated recovery uses (2, coordinator); classic rounds start at 3. */
export const RECOVERY_FAST_BALLOT: Ballot = Object.freeze({ round: 2, node: 0 });
const LOCAL_DELIVERIES_MAX = 10_000;
/** Votes kept for the checker; a single-decree run casts a handful, so this never binds in practice. */
const VOTES_KEPT_MAX = 1_000;

/** The coordinator's classic round in progress. */
interface ClassicRound {
  readonly ballot: Ballot;
  phase: 'preparing' | 'accepting';
  readonly promises: Map<NodeId, AcceptedProposal | null>;
}

/**
 * One Fast Paxos node: acceptor, proposer, learner, and — on one node — coordinator. Proposers send
 * their value straight to the acceptors in the fast round; an acceptor votes for the first value it
 * gets there. After a collision the coordinator reads the fast votes as phase-1 replies, picks the
 * only value that may have been chosen (`pickValue`), and runs a classic round. See README.md.
 */
export class FastPaxosNode implements ProtocolNode<FastPaxosMessage, PaxosRecord> {
  readonly id: NodeId;
  readonly variant: FastPaxosVariant;
  readonly options: FastPaxosOptions;
  readonly acceptors: readonly NodeId[];
  readonly coordinator: NodeId;
  readonly acceptor: Acceptor | undefined;
  readonly fastQuorum: number;
  /** The value this node proposed, if it did. */
  proposed: PaxosValue | undefined = undefined;
  learnedValue: PaxosValue | undefined = undefined;
  /** Each acceptor's fast-round vote, as learned: the coordinator's phase-1 replies after a collision. */
  readonly fastVotes = new Map<NodeId, AcceptedProposal>();
  /** The last recovery decision, for inspection and the tours. */
  lastPick: Pick | undefined = undefined;
  /** Every vote this incarnation cast, in order (bounded): the checker must see votes a later one replaced within one step. */
  readonly votes: AcceptedProposal[] = [];
  private readonly fastLearner: Learner;
  private readonly classicLearner: Learner;
  private classic: ClassicRound | undefined = undefined;
  private recovered = false;
  private highestSeen: Ballot = { round: 2, node: NODE_ID_MAX };
  private nowTick = 0;
  private recoverAtTick: number | undefined = undefined;
  private readonly proposeAtTick: number | undefined;
  private batch: Ready<FastPaxosMessage, PaxosRecord> = emptyReady();
  private readonly localInbox = new SelfInbox<FastPaxosMessage>(LOCAL_DELIVERIES_MAX);
  private readonly effects: Effects;
  private persistedRecords = 0;

  constructor(context: NodeContext<PaxosRecord>) {
    assert(isFastPaxosVariant(context.variant), `unknown fastpaxos variant ${context.variant}`);
    this.id = context.id;
    this.variant = context.variant;
    this.options = parseFastPaxosOptions(context.options);
    this.acceptors = this.options.acceptors ?? context.members;
    this.coordinator = this.options.coordinator ?? (context.members[0] as NodeId);
    this.fastQuorum = fastQuorumFor(this.variant, this.acceptors.length);
    this.acceptor = this.acceptors.includes(this.id) ? new Acceptor(this.id) : undefined;
    // Two learners, because a vote counts toward the quorum of its own ballot's kind only.
    this.fastLearner = new Learner(this.id, new ThresholdQuorum(this.acceptors, this.fastQuorum));
    this.classicLearner = new Learner(this.id, new ThresholdQuorum(this.acceptors));
    this.effects = {
      send: (to, message) => this.send(to, message),
      persist: (record) => {
        this.persistedRecords++;
        if (
          record.kind === 'acceptor' &&
          record.accepted !== null &&
          record.accepted !== this.votes.at(-1)
        )
          this.recordVote(record.accepted);
        this.batch.persist.push({ kind: 'append', records: [record] });
      },
      note: (kind, text, data) => this.batch.notes.push({ kind, text, data }),
    };
    this.restore(context.restored);
    const proposes = (this.options.proposers ?? context.members).includes(this.id);
    this.proposeAtTick =
      proposes && this.options.autoPropose && this.learnedValue === undefined
        ? context.rng.split('start').int(1, this.options.proposeDelayTicksMax)
        : undefined;
  }

  isFast(ballot: Ballot): boolean {
    return (
      ballotEquals(ballot, FAST_BALLOT) ||
      (this.options.recovery === 'uncoordinated' && ballotEquals(ballot, RECOVERY_FAST_BALLOT))
    );
  }

  /** A fast-round proposal: the value goes straight to every acceptor, no phase 1. */
  propose(value: PaxosValue = `v${this.id}`): void {
    this.proposed = value;
    this.effects.note('propose', `${this.id} sends ${valueKey(value)} straight to the acceptors`);
    for (const to of this.acceptors)
      this.send(to, { type: 'propose-fast', instance: INSTANCE, value });
    this.drainLocal();
  }

  step(from: NodeId, message: FastPaxosMessage): void {
    this.dispatch(from, message);
    this.drainLocal();
  }

  tick(): void {
    this.nowTick++;
    if (this.proposeAtTick === this.nowTick && this.proposed === undefined) this.propose();
    if (
      this.recoverAtTick !== undefined &&
      this.nowTick >= this.recoverAtTick &&
      this.learnedValue === undefined
    )
      this.startClassicRound();
    this.drainLocal();
  }

  hasReady(): boolean {
    return !isReadyEmpty(this.batch);
  }

  ready(): Ready<FastPaxosMessage, PaxosRecord> {
    const batch = this.batch;
    this.batch = emptyReady();
    return batch;
  }

  /** Grows with every persisted record (the checker skips nodes that did not change). */
  stateVersion(): number {
    return this.persistedRecords;
  }

  accepted(): AcceptedProposal | null {
    return this.acceptor?.state(INSTANCE).accepted ?? null;
  }

  inspect(): NodeInspection {
    const state = this.acceptor?.state(INSTANCE);
    const role = [
      this.acceptor === undefined ? '' : 'acceptor',
      this.id === this.coordinator ? 'coordinator' : '',
    ]
      .filter((part) => part !== '')
      .join('+');
    return {
      role: role === '' ? 'proposer' : role,
      epoch: {
        name: 'ballot',
        value: formatBallot(
          maxBallot(state?.lastRnd ?? FAST_BALLOT, this.classic?.ballot ?? FAST_BALLOT),
        ),
      },
      state: {
        promised: state === undefined ? null : formatBallot(state.lastRnd),
        accepted:
          state?.accepted === null || state === undefined
            ? null
            : { ballot: formatBallot(state.accepted.ballot), value: state.accepted.value },
        proposed: this.proposed ?? null,
        learned: this.learnedValue ?? null,
        fastVotes: Object.fromEntries([...this.fastVotes].map(([id, vote]) => [id, vote.value])),
        fastQuorum: this.fastQuorum,
      },
    };
  }

  private dispatch(from: NodeId, message: FastPaxosMessage): void {
    if (message.instance !== INSTANCE) return;
    switch (message.type) {
      case 'propose-fast':
        this.vote(from, FAST_BALLOT, message.value);
        return;
      case 'prepare':
        this.acceptor?.onPrepare(from, INSTANCE, message.ballot, this.effects);
        return;
      case 'accept':
        this.acceptor?.onAccept(
          from,
          INSTANCE,
          message.ballot,
          message.value,
          this.effects,
          (ballot, value) => this.tellLearners(ballot, value),
        );
        return;
      case 'learn':
        this.onLearn(from, message.ballot, message.value);
        return;
      case 'promise':
        this.onPromise(from, message.ballot, message.accepted);
        return;
      case 'prepare-rejected':
      case 'accept-rejected':
        this.highestSeen = maxBallot(this.highestSeen, message.lastRnd);
        return;
      case 'accepted':
      case 'chosen':
        return; // learning happens through `learn`, which every acceptor sends every node
    }
  }

  /** An acceptor votes in a fast ballot only once: for the first value it gets there. */
  private vote(from: NodeId, ballot: Ballot, value: PaxosValue): void {
    const acceptor = this.acceptor;
    if (acceptor === undefined) return;
    const current = acceptor.state(INSTANCE).accepted;
    if (current !== null && compareBallots(current.ballot, ballot) >= 0) return;
    acceptor.onAccept(from, INSTANCE, ballot, value, this.effects, (b, v) =>
      this.tellLearners(b, v),
    );
  }

  private tellLearners(ballot: Ballot, value: PaxosValue): void {
    for (const to of this.learners())
      this.send(to, { type: 'learn', instance: INSTANCE, ballot, value });
  }

  /** Every node learns (the coordinator must see the fast votes). */
  private learners(): readonly NodeId[] {
    return [...new Set([...this.acceptors, this.coordinator, ...(this.options.proposers ?? [])])];
  }

  private onLearn(from: NodeId, ballot: Ballot, value: PaxosValue): void {
    if (!this.acceptors.includes(from)) return;
    const learner = this.isFast(ballot) ? this.fastLearner : this.classicLearner;
    const learned = learner.onLearn(from, INSTANCE, ballot, value);
    if (learned !== undefined && this.learnedValue === undefined) {
      this.learnedValue = learned;
      this.effects.persist({ kind: 'learned', instance: INSTANCE, value: learned });
      this.effects.note(
        'learned',
        `${this.id} learned ${valueKey(learned)} (ballot ${formatBallot(ballot)})`,
        { ballot, value: learned },
      );
    }
    if (!ballotEquals(ballot, FAST_BALLOT)) return;
    this.fastVotes.set(from, { ballot, value });
    if (this.id === this.coordinator)
      this.recoverAtTick ??= this.nowTick + this.options.recoveryTimeoutTicks;
    if (this.learnedValue !== undefined || !this.collisionSeen()) return;
    if (this.options.recovery === 'uncoordinated') this.recoverUncoordinated();
    else if (this.id === this.coordinator) this.recoverCoordinated();
  }

  /** Fast votes from a classic quorum, with at least two values among them. */
  private collisionSeen(): boolean {
    if (this.fastVotes.size < majority(this.acceptors.length)) return false;
    return new Set([...this.fastVotes.values()].map((vote) => valueKey(vote.value))).size > 1;
  }

  private pickFrom(reports: ReadonlyMap<NodeId, AcceptedProposal | null>, reason: string): Pick {
    const pick = pickValue(reports, this.acceptors.length, this.fastQuorum, (ballot) =>
      this.isFast(ballot),
    );
    this.lastPick = pick;
    const votes = pick.votes.map((entry) => `${valueKey(entry.value)}×${entry.count}`).join(', ');
    const may = pick.mayHaveBeenChosen.map(valueKey).join(' and ') || 'nothing';
    this.effects.note(
      'pick',
      `${this.id} ${reason}: votes ${votes}; may have been chosen: ${may}`,
      pick,
    );
    return pick;
  }

  /** Coordinated recovery: the fast votes are phase-1 replies for (2, coordinator); run its phase 2 at once. */
  private recoverCoordinated(): void {
    if (this.recovered) return;
    this.recovered = true;
    const pick = this.pickFrom(this.fastVotes, 'sees a collision');
    const ballot = { round: 2, node: this.id };
    this.effects.persist({ kind: 'proposer', round: ballot.round });
    this.sendAccept(
      ballot,
      pick.value ?? (this.fastVotes.values().next().value as AcceptedProposal).value,
    );
  }

  /** Uncoordinated recovery: every acceptor picks by the same rule and votes in a second fast round. */
  private recoverUncoordinated(): void {
    if (this.acceptor === undefined || this.recovered) return;
    this.recovered = true;
    const pick = this.pickFrom(this.fastVotes, 'sees a collision');
    const value = pick.value ?? (this.fastVotes.values().next().value as AcceptedProposal).value;
    this.vote(this.id, RECOVERY_FAST_BALLOT, value);
  }

  /** No decision in time (lost messages, a crashed proposer): a full classic round, phase 1 first. */
  private startClassicRound(): void {
    const ballot = nextBallot('counter', this.id, this.highestSeen);
    this.highestSeen = ballot;
    this.classic = { ballot, phase: 'preparing', promises: new Map() };
    this.recoverAtTick = this.nowTick + this.options.recoveryTimeoutTicks;
    this.effects.persist({ kind: 'proposer', round: ballot.round });
    for (const to of this.acceptors) this.send(to, { type: 'prepare', instance: INSTANCE, ballot });
  }

  private onPromise(from: NodeId, ballot: Ballot, accepted: AcceptedProposal | null): void {
    const round = this.classic;
    if (round === undefined || round.phase !== 'preparing' || !ballotEquals(round.ballot, ballot))
      return;
    round.promises.set(from, accepted);
    if (round.promises.size < majority(this.acceptors.length)) return;
    round.phase = 'accepting';
    const pick = this.pickFrom(round.promises, `phase 1 of ${formatBallot(ballot)}`);
    const value = pick.value ?? this.proposed ?? this.fastVotes.values().next().value?.value;
    if (value !== undefined) this.sendAccept(ballot, value);
  }

  private sendAccept(ballot: Ballot, value: PaxosValue): void {
    this.effects.note(
      'accept',
      `${this.id} asks to accept ${valueKey(value)} in classic ballot ${formatBallot(ballot)}`,
    );
    for (const to of this.acceptors)
      this.send(to, { type: 'accept', instance: INSTANCE, ballot, value });
  }

  private recordVote(vote: AcceptedProposal): void {
    if (this.votes.length >= VOTES_KEPT_MAX) this.votes.splice(0, VOTES_KEPT_MAX / 2);
    this.votes.push(vote);
  }

  private send(to: NodeId, message: FastPaxosMessage): void {
    if (to === this.id) this.localInbox.push(this.id, message);
    else this.batch.messages.push({ from: this.id, to, message });
  }

  private drainLocal(): void {
    this.localInbox.drain((from, message) => this.dispatch(from, message));
  }

  private restore(records: readonly PaxosRecord[]): void {
    for (const record of records) {
      if (record.kind === 'acceptor') this.acceptor?.restore(record);
      else if (record.kind === 'proposer') {
        this.highestSeen = maxBallot(this.highestSeen, { round: record.round, node: this.id });
        // A coordinator that used round 2 before a crash must not reuse it with another value.
        this.recovered = true;
      } else this.learnedValue = record.value;
    }
  }
}
