import { type Ballot, formatBallot } from '../../core/ballot.js';
import type { NodeId } from '../../core/ids.js';
import type { QuorumSystem } from '../../core/quorum.js';
import type { PaxosValue } from './messages.js';
import { valueKey } from './messages.js';

/**
 * How accepted values reach the learners (seed 000, "提案的获取"):
 * - `all`: every acceptor tells every learner (acceptors × learners messages, no relay to fail);
 * - `distinguished`: acceptors tell one learner, which relays the chosen value to the others
 *   (acceptors + learners − 1 messages; if it crashes, nobody else learns);
 * - `set`: acceptors tell a set of relaying learners, each of which relays to the rest
 *   (acceptors × relays + relays × (learners − relays): more messages, survives relay crashes).
 */
export type LearnerScheme = 'all' | 'distinguished' | 'set';

export const LEARNER_SCHEMES: readonly LearnerScheme[] = ['all', 'distinguished', 'set'];

/** Ballots tallied per instance are bounded: a learner keeps only this many distinct ballots. */
const TALLY_BALLOTS_MAX = 1024;

/**
 * The learner role: a value is chosen once a quorum of acceptors accepted it in one ballot. The
 * learner counts `learn` messages per ballot (never across ballots: two minorities in different
 * ballots do not make a majority), or trusts a relaying learner's `chosen`.
 */
export class Learner {
  private readonly tallies = new Map<
    number,
    Map<string, { value: PaxosValue; from: Set<NodeId> }>
  >();
  private readonly learnedValues = new Map<number, PaxosValue>();

  constructor(
    readonly id: NodeId,
    private readonly quorum: QuorumSystem,
  ) {}

  learned(instance: number): PaxosValue | undefined {
    return this.learnedValues.get(instance);
  }

  entries(): [number, PaxosValue][] {
    return [...this.learnedValues.entries()];
  }

  /** An acceptor accepted `value` in `ballot`; returns the value when this makes it learned. */
  onLearn(
    from: NodeId,
    instance: number,
    ballot: Ballot,
    value: PaxosValue,
  ): PaxosValue | undefined {
    if (this.learnedValues.has(instance)) return undefined;
    let tally = this.tallies.get(instance);
    if (tally === undefined) {
      tally = new Map();
      this.tallies.set(instance, tally);
    }
    // Keyed by ballot and value: a sound proposer sends one value per ballot, but the unsafe
    // variants can break that, and the learner must not merge the votes of two values.
    const key = `${formatBallot(ballot)}|${valueKey(value)}`;
    let votes = tally.get(key);
    if (votes === undefined) {
      if (tally.size >= TALLY_BALLOTS_MAX) return undefined; // bounded; a later relay or retry still teaches us
      votes = { value, from: new Set() };
      tally.set(key, votes);
    }
    votes.from.add(from);
    if (!this.quorum.isQuorum(votes.from)) return undefined;
    return this.learn(instance, value);
  }

  /** A relaying learner says `value` is chosen. */
  onChosen(instance: number, value: PaxosValue): PaxosValue | undefined {
    if (this.learnedValues.has(instance)) return undefined;
    return this.learn(instance, value);
  }

  /** Restore after a crash. */
  restore(instance: number, value: PaxosValue): void {
    this.learnedValues.set(instance, value);
  }

  private learn(instance: number, value: PaxosValue): PaxosValue {
    this.learnedValues.set(instance, value);
    this.tallies.delete(instance);
    return value;
  }
}
