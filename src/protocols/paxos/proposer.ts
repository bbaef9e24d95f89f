import { assert } from '../../core/assert.js';
import {
  type Ballot,
  type BallotScheme,
  ZERO_BALLOT,
  ballot as makeBallot,
  ballotEquals,
  ballotGreater,
  compareBallots,
  formatBallot,
  maxBallot,
  nextBallot,
} from '../../core/ballot.js';
import { NODE_ID_MAX, type NodeId } from '../../core/ids.js';
import type { QuorumSystem, VoteResult } from '../../core/quorum.js';
import type { Rng } from '../../core/rng.js';
import type { AcceptedProposal, Effects, PaxosValue } from './messages.js';
import { valueKey } from './messages.js';

export type BackoffPolicy = 'exponential' | 'none';

export interface ProposerConfig {
  readonly id: NodeId;
  readonly instance: number;
  readonly acceptors: readonly NodeId[];
  readonly quorum: QuorumSystem;
  /** The `ignore-accepted` variant: propose the own value even when a promise reports another. */
  readonly ignoreAccepted: boolean;
  readonly ballotScheme: BallotScheme;
  /** A phase with no decision after this many ticks counts as failed (lost messages, crashes). */
  readonly phaseTimeoutTicks: number;
  /** `none`: retry on the next tick (livelock-prone); `exponential`: randomized binary backoff. */
  readonly backoff: BackoffPolicy;
  readonly backoffTicksBase: number;
  readonly backoffTicksMax: number;
}

/**
 * idle: not proposing. preparing: phase 1 sent. accepting: phase 2 sent. backing-off: waiting for
 * `retryAtTick`. done: this proposer knows a value is chosen.
 */
export type ProposerPhase = 'idle' | 'preparing' | 'accepting' | 'backing-off' | 'done';

export interface StartOptions {
  /** Use exactly this round (scripted examples: "the proposer takes number 4"). */
  readonly round?: number;
  /** Send to these acceptors only (Lamport: "to some majority"); default every acceptor. */
  readonly targets?: readonly NodeId[];
}

/** The exponent cap keeps `2^failures` a small exact integer; `backoffTicksMax` bounds it anyway. */
const BACKOFF_EXPONENT_MAX = 20;

/**
 * The proposer role for one instance: phase 1 with a fresh ballot, then phase 2 with the value of
 * the highest-`vrnd` promise (or its own value when no promise reports one). A failed phase (a
 * quorum became impossible, or the phase timed out) is retried after a backoff, with a ballot above
 * every ballot it has seen.
 */
export class Proposer {
  phase: ProposerPhase = 'idle';
  ballot: Ballot = ZERO_BALLOT;
  /** The value this proposer wants; it proposes it only when no acceptor reports another. */
  ownValue: PaxosValue | undefined = undefined;
  /** The value sent in phase 2 of the current ballot. */
  phase2Value: PaxosValue | undefined = undefined;
  chosenValue: PaxosValue | undefined = undefined;
  /** Consecutive failed ballots; the backoff window doubles with each. */
  failures = 0;
  /**
   * The highest ballot seen anywhere, so the next one is above it. It starts above every round-0
   * ballot so that real rounds start at 1, as in the examples.
   */
  private highestSeen: Ballot = makeBallot(0, NODE_ID_MAX);
  private targets: readonly NodeId[] = [];
  private readonly promises = new Map<NodeId, AcceptedProposal | null>();
  private readonly acceptedBy = new Set<NodeId>();
  private readonly rejectedBy = new Set<NodeId>();
  private deadlineTick = 0;
  private retryAtTick = 0;

  constructor(
    private readonly config: ProposerConfig,
    private readonly rng: Rng,
  ) {
    assert(config.acceptors.length > 0, 'a proposer needs acceptors');
    assert(config.phaseTimeoutTicks >= 1, 'phaseTimeoutTicks must be at least 1');
    assert(
      config.backoffTicksBase >= 1 && config.backoffTicksMax >= config.backoffTicksBase,
      'bad backoff bounds',
    );
  }

  /** After a restart: never reuse a round this node already used. */
  restoreRound(round: number): void {
    this.highestSeen = maxBallot(this.highestSeen, makeBallot(round, this.config.id));
  }

  /** Begin proposing `value` now. */
  propose(
    value: PaxosValue,
    nowTick: number,
    nowMs: number,
    effects: Effects,
    options: StartOptions = {},
  ): void {
    this.ownValue = value;
    if (this.phase === 'done') return;
    this.startPhase1(nowTick, nowMs, effects, options);
  }

  /** Phase 1a: a ballot above every ballot seen, persisted before the prepare leaves. */
  startPhase1(nowTick: number, nowMs: number, effects: Effects, options: StartOptions = {}): void {
    assert(this.ownValue !== undefined, 'phase 1 without a value to propose');
    const next =
      options.round === undefined
        ? nextBallot(this.config.ballotScheme, this.config.id, this.highestSeen, nowMs)
        : makeBallot(options.round, this.config.id);
    this.ballot = next;
    this.highestSeen = maxBallot(this.highestSeen, next);
    this.targets = options.targets ?? this.config.acceptors;
    this.promises.clear();
    this.acceptedBy.clear();
    this.rejectedBy.clear();
    this.phase2Value = undefined;
    this.phase = 'preparing';
    this.deadlineTick = nowTick + this.config.phaseTimeoutTicks;
    effects.persist({ kind: 'proposer', round: next.round });
    effects.note('prepare', `${this.config.id} prepares ballot ${formatBallot(next)}`, {
      ballot: next,
      targets: this.targets,
    });
    for (const to of this.targets)
      effects.send(to, { type: 'prepare', instance: this.config.instance, ballot: next });
  }

  tick(nowTick: number, nowMs: number, effects: Effects): void {
    if (this.phase === 'backing-off' && nowTick >= this.retryAtTick) {
      this.startPhase1(nowTick, nowMs, effects);
      return;
    }
    if ((this.phase === 'preparing' || this.phase === 'accepting') && nowTick >= this.deadlineTick)
      this.fail(nowTick, 'timed out', effects);
  }

  onPromise(
    from: NodeId,
    ballot: Ballot,
    accepted: AcceptedProposal | null,
    nowTick: number,
    effects: Effects,
  ): void {
    if (this.phase !== 'preparing' || !ballotEquals(ballot, this.ballot)) return; // stale
    if (!this.targets.includes(from)) return;
    this.promises.set(from, accepted);
    if (accepted !== null) this.highestSeen = maxBallot(this.highestSeen, accepted.ballot);
    const result = this.vote(new Set(this.promises.keys()));
    if (result === 'won') this.startPhase2(nowTick, effects);
  }

  onRejected(
    from: NodeId,
    ballot: Ballot,
    lastRnd: Ballot,
    nowTick: number,
    effects: Effects,
  ): void {
    this.highestSeen = maxBallot(this.highestSeen, lastRnd);
    if (this.phase !== 'preparing' && this.phase !== 'accepting') return;
    // A rejection of our own ballot by a duplicate prepare is no rejection.
    if (!ballotEquals(ballot, this.ballot) || !ballotGreater(lastRnd, this.ballot)) return;
    this.rejectedBy.add(from);
    const granted = this.phase === 'preparing' ? new Set(this.promises.keys()) : this.acceptedBy;
    if (this.vote(granted) === 'lost')
      this.fail(nowTick, `rejected: ${from} promised ${formatBallot(lastRnd)}`, effects);
  }

  onAccepted(from: NodeId, ballot: Ballot, effects: Effects): void {
    if (this.phase !== 'accepting' || !ballotEquals(ballot, this.ballot)) return;
    if (!this.targets.includes(from)) return;
    this.acceptedBy.add(from);
    if (this.vote(this.acceptedBy) !== 'won') return;
    assert(this.phase2Value !== undefined, 'accepting without a value');
    this.decide(this.phase2Value, effects);
  }

  /** Run Paxos again although the outcome is known (a re-proposal); it must choose the same value. */
  reopen(): void {
    if (this.phase === 'done') this.phase = 'idle';
  }

  /** The node's learner learned the outcome: stop proposing. */
  learned(value: PaxosValue): void {
    this.chosenValue = value;
    this.phase = 'done';
  }

  private decide(value: PaxosValue, effects: Effects): void {
    this.chosenValue = value;
    this.phase = 'done';
    this.failures = 0;
    effects.note(
      'chosen',
      `${this.config.id} saw ${valueKey(value)} chosen in ballot ${formatBallot(this.ballot)}`,
      {
        instance: this.config.instance,
        ballot: this.ballot,
        value,
      },
    );
  }

  /** Phase 2a: the value of the highest-vrnd promise, or our own when no acceptor reported one. */
  private startPhase2(nowTick: number, effects: Effects): void {
    const reported = this.highestAccepted();
    const value =
      reported === null || this.config.ignoreAccepted
        ? (this.ownValue as PaxosValue)
        : reported.value;
    this.phase2Value = value;
    this.phase = 'accepting';
    this.rejectedBy.clear();
    this.deadlineTick = nowTick + this.config.phaseTimeoutTicks;
    const source =
      reported === null
        ? 'its own value'
        : `the value accepted in ${formatBallot(reported.ballot)}`;
    effects.note(
      'accept',
      `${this.config.id} asks to accept ${valueKey(value)} in ballot ${formatBallot(this.ballot)} (${this.config.ignoreAccepted && reported !== null ? 'ignoring ' + source : source})`,
      {
        ballot: this.ballot,
        value,
      },
    );
    // To every target, as in the worked examples: an acceptor that did not promise may still accept.
    for (const to of this.targets)
      effects.send(to, {
        type: 'accept',
        instance: this.config.instance,
        ballot: this.ballot,
        value,
      });
  }

  private highestAccepted(): AcceptedProposal | null {
    let best: AcceptedProposal | null = null;
    for (const accepted of this.promises.values())
      if (accepted !== null && (best === null || compareBallots(accepted.ballot, best.ballot) > 0))
        best = accepted;
    return best;
  }

  /** Votes outside `targets` can never arrive, so they count as rejections. */
  private vote(granted: ReadonlySet<NodeId>): VoteResult {
    const rejected = new Set(this.rejectedBy);
    for (const id of this.config.quorum.voters) if (!this.targets.includes(id)) rejected.add(id);
    return this.config.quorum.voteResult(granted, rejected);
  }

  private fail(nowTick: number, reason: string, effects: Effects): void {
    this.failures++;
    const delayTicks = this.backoffTicks();
    this.phase = 'backing-off';
    this.retryAtTick = nowTick + delayTicks;
    effects.note(
      'retry',
      `${this.config.id}: ballot ${formatBallot(this.ballot)} failed (${reason}); retry in ${delayTicks} ticks`,
      {
        ballot: this.ballot,
        failures: this.failures,
        delayTicks,
      },
    );
  }

  /** Randomized binary exponential backoff: uniform in [1, base·2^(failures-1)], capped. */
  private backoffTicks(): number {
    if (this.config.backoff === 'none') return 1;
    const exponent = Math.min(this.failures - 1, BACKOFF_EXPONENT_MAX);
    const window = Math.min(
      this.config.backoffTicksMax,
      this.config.backoffTicksBase * 2 ** exponent,
    );
    return this.rng.int(1, window);
  }

  inspect(): Record<string, unknown> {
    return {
      phase: this.phase,
      ballot: formatBallot(this.ballot),
      value: this.ownValue ?? null,
      phase2Value: this.phase2Value ?? null,
      promisedBy: [...this.promises.keys()],
      acceptedBy: [...this.acceptedBy],
      rejectedBy: [...this.rejectedBy],
      failures: this.failures,
      chosen: this.chosenValue ?? null,
    };
  }
}
