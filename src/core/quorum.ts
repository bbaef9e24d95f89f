import { assert } from './assert.js';
import type { NodeId } from './ids.js';

/** The smallest majority of `size` voters. */
export function majority(size: number): number {
  assert(Number.isInteger(size) && size >= 1, `bad cluster size ${size}`);
  return Math.floor(size / 2) + 1;
}

/**
 * Fast Paxos's fast quorum with majority classic quorums: ⌈3n/4⌉ makes any two fast quorums and
 * any classic quorum intersect.
 */
export function fastQuorumSize(size: number): number {
  assert(Number.isInteger(size) && size >= 1, `bad cluster size ${size}`);
  return Math.ceil((3 * size) / 4);
}

export type VoteResult = 'won' | 'lost' | 'pending';

/** A set of voters and a rule for which subsets of them are quorums. */
export interface QuorumSystem {
  readonly voters: readonly NodeId[];
  isQuorum(ids: ReadonlySet<NodeId>): boolean;
  /** With `granted` and `rejected` votes so far: won, lost (no quorum can form any more) or pending. */
  voteResult(granted: ReadonlySet<NodeId>, rejected: ReadonlySet<NodeId>): VoteResult;
  /**
   * The highest index that a quorum has reached, given each voter's acknowledged index (missing
   * voters count as 0). Raft's commit rule and Multi-Paxos's chosen slot use this.
   */
  committedIndex(acked: ReadonlyMap<NodeId, number>): number;
  describe(): string;
}

function voteResultOf(
  system: QuorumSystem,
  granted: ReadonlySet<NodeId>,
  rejected: ReadonlySet<NodeId>,
): VoteResult {
  if (system.isQuorum(granted)) return 'won';
  const stillPossible = new Set(system.voters.filter((id) => !rejected.has(id)));
  return system.isQuorum(stillPossible) ? 'pending' : 'lost';
}

function uniqueVoters(voters: readonly NodeId[]): NodeId[] {
  const unique = [...new Set(voters)].sort((a, b) => a - b);
  assert(unique.length === voters.length, `duplicate voter in ${JSON.stringify(voters)}`);
  return unique;
}

/** Any `threshold` of the voters form a quorum; `majority` is the usual threshold. */
export class ThresholdQuorum implements QuorumSystem {
  readonly voters: readonly NodeId[];

  constructor(
    voters: readonly NodeId[],
    readonly threshold: number = majority(Math.max(1, voters.length)),
  ) {
    this.voters = uniqueVoters(voters);
    assert(
      threshold >= 1 && threshold <= Math.max(1, this.voters.length),
      `bad threshold ${threshold} of ${this.voters.length}`,
    );
  }

  isQuorum(ids: ReadonlySet<NodeId>): boolean {
    let count = 0;
    for (const id of this.voters) if (ids.has(id)) count++;
    return count >= this.threshold;
  }

  voteResult(granted: ReadonlySet<NodeId>, rejected: ReadonlySet<NodeId>): VoteResult {
    return voteResultOf(this, granted, rejected);
  }

  committedIndex(acked: ReadonlyMap<NodeId, number>): number {
    if (this.voters.length === 0) return Number.MAX_SAFE_INTEGER; // no voters: everything is committed (etcd's convention)
    const indexes = this.voters.map((id) => acked.get(id) ?? 0).sort((a, b) => b - a);
    return indexes[this.threshold - 1] as number;
  }

  describe(): string {
    return `${this.threshold} of {${this.voters.join(',')}}`;
  }
}

export function majorityQuorum(voters: readonly NodeId[]): ThresholdQuorum {
  return new ThresholdQuorum(voters);
}

/** An explicit list of quorums (e.g. a grid); a superset of a listed quorum is a quorum. */
export class ExplicitQuorum implements QuorumSystem {
  readonly voters: readonly NodeId[];
  private readonly quorums: readonly (readonly NodeId[])[];

  constructor(quorums: readonly (readonly NodeId[])[]) {
    assert(quorums.length > 0, 'an explicit quorum system needs at least one quorum');
    this.quorums = quorums.map((quorum) => uniqueVoters(quorum));
    this.voters = [...new Set(this.quorums.flat())].sort((a, b) => a - b);
  }

  isQuorum(ids: ReadonlySet<NodeId>): boolean {
    return this.quorums.some((quorum) => quorum.every((id) => ids.has(id)));
  }

  voteResult(granted: ReadonlySet<NodeId>, rejected: ReadonlySet<NodeId>): VoteResult {
    return voteResultOf(this, granted, rejected);
  }

  committedIndex(acked: ReadonlyMap<NodeId, number>): number {
    let best = 0;
    for (const quorum of this.quorums) {
      const reached = Math.min(...quorum.map((id) => acked.get(id) ?? 0));
      best = Math.max(best, reached);
    }
    return best;
  }

  /** True when every two quorums share a voter: the property safety rests on. */
  everyPairIntersects(): boolean {
    return this.quorums.every((a) => this.quorums.every((b) => a.some((id) => b.includes(id))));
  }

  describe(): string {
    return this.quorums.map((quorum) => `{${quorum.join(',')}}`).join(' | ');
  }
}

/**
 * Raft's joint consensus: a decision needs a quorum of the old configuration and a quorum of the
 * new one.
 */
export class JointQuorum implements QuorumSystem {
  readonly voters: readonly NodeId[];

  constructor(
    readonly incoming: QuorumSystem,
    readonly outgoing: QuorumSystem,
  ) {
    this.voters = [...new Set([...incoming.voters, ...outgoing.voters])].sort((a, b) => a - b);
  }

  isQuorum(ids: ReadonlySet<NodeId>): boolean {
    return this.incoming.isQuorum(ids) && this.outgoing.isQuorum(ids);
  }

  voteResult(granted: ReadonlySet<NodeId>, rejected: ReadonlySet<NodeId>): VoteResult {
    const a = this.incoming.voteResult(granted, rejected);
    const b = this.outgoing.voteResult(granted, rejected);
    if (a === 'lost' || b === 'lost') return 'lost';
    return a === 'won' && b === 'won' ? 'won' : 'pending';
  }

  committedIndex(acked: ReadonlyMap<NodeId, number>): number {
    return Math.min(this.incoming.committedIndex(acked), this.outgoing.committedIndex(acked));
  }

  describe(): string {
    return `joint(${this.incoming.describe()} & ${this.outgoing.describe()})`;
  }
}
