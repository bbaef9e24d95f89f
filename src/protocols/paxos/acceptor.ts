import { assert } from '../../core/assert.js';
import {
  type Ballot,
  ZERO_BALLOT,
  ballotGreater,
  compareBallots,
  formatBallot,
} from '../../core/ballot.js';
import type { NodeId } from '../../core/ids.js';
import type { AcceptedProposal, Effects, PaxosRecord, PaxosValue } from './messages.js';

/** One instance's acceptor state, the seeds' `last_rnd`, `v` and `vrnd`. */
export interface AcceptorState {
  /** The highest ballot promised (or accepted): the acceptor ignores every lower one. */
  readonly lastRnd: Ballot;
  /** The last accepted value and its ballot (`v`, `vrnd`); null before the first accept. */
  readonly accepted: AcceptedProposal | null;
}

const INITIAL_STATE: AcceptorState = Object.freeze({ lastRnd: ZERO_BALLOT, accepted: null });

/**
 * The acceptor role for any number of instances. Its state changes are persisted through
 * `Effects.persist` before the reply is sent through `Effects.send`, and the node makes that batch
 * durable before any of it leaves (unless the variant is `reply-before-persist`).
 */
export class Acceptor {
  private readonly instances = new Map<number, AcceptorState>();

  constructor(private readonly id: NodeId) {}

  state(instance: number): AcceptorState {
    return this.instances.get(instance) ?? INITIAL_STATE;
  }

  /** Every instance this acceptor has touched, for inspection and the checker. */
  entries(): [number, AcceptorState][] {
    return [...this.instances.entries()]; // in first-touch order, which is instance order in practice
  }

  restore(record: PaxosRecord & { kind: 'acceptor' }): void {
    this.instances.set(record.instance, { lastRnd: record.lastRnd, accepted: record.accepted });
  }

  /**
   * Phase 1b. Promise iff `ballot > lastRnd`, and report `(v, vrnd)`; otherwise reject with
   * `lastRnd` so the proposer can pick a higher round.
   */
  onPrepare(from: NodeId, instance: number, ballot: Ballot, effects: Effects): void {
    const current = this.state(instance);
    if (!ballotGreater(ballot, current.lastRnd)) {
      effects.send(from, { type: 'prepare-rejected', instance, ballot, lastRnd: current.lastRnd });
      return;
    }
    this.update(instance, { lastRnd: ballot, accepted: current.accepted }, effects);
    effects.send(from, { type: 'promise', instance, ballot, accepted: current.accepted });
  }

  /**
   * Phase 2b. Accept iff `ballot ≥ lastRnd`: a promise only forbids lower ballots, and equal means
   * the very proposer this acceptor promised. Learners hear of it through `tellLearners`.
   */
  onAccept(
    from: NodeId,
    instance: number,
    ballot: Ballot,
    value: PaxosValue,
    effects: Effects,
    tellLearners: (ballot: Ballot, value: PaxosValue) => void,
  ): void {
    const current = this.state(instance);
    if (compareBallots(ballot, current.lastRnd) < 0) {
      effects.send(from, { type: 'accept-rejected', instance, ballot, lastRnd: current.lastRnd });
      return;
    }
    this.update(instance, { lastRnd: ballot, accepted: { ballot, value } }, effects);
    effects.send(from, { type: 'accepted', instance, ballot, value });
    tellLearners(ballot, value);
  }

  private update(instance: number, next: AcceptorState, effects: Effects): void {
    const current = this.state(instance);
    // Invariant: lastRnd never decreases, and vrnd ≤ lastRnd.
    assert(compareBallots(next.lastRnd, current.lastRnd) >= 0, 'lastRnd went backwards');
    assert(
      next.accepted === null || compareBallots(next.accepted.ballot, next.lastRnd) <= 0,
      `acceptor ${this.id}: vrnd above lastRnd ${formatBallot(next.lastRnd)}`,
    );
    this.instances.set(instance, next);
    effects.persist({ kind: 'acceptor', instance, lastRnd: next.lastRnd, accepted: next.accepted });
  }
}
