import { assert } from '../../core/assert.js';
import type { NodeId } from '../../core/ids.js';

/** A read barrier someone asked for: `origin` is the node that must get the ReadState. */
export interface ReadRequest {
  readonly readId: number;
  readonly origin: NodeId;
}

interface Round {
  readonly round: number;
  /** The leader's commit index when the requests arrived: the read index (§6.4 of the dissertation). */
  readonly index: number;
  readonly requests: ReadRequest[];
  readonly acks: Set<NodeId>;
}

/**
 * ReadIndex bookkeeping on the leader (etcd's readOnly): each batch of read requests records the
 * commit index and a round number that rides on the next heartbeats. Once a quorum answers a round,
 * the leader knows it was still the leader when the requests arrived, so that round and every
 * earlier one are released.
 */
export class ReadOnlyRounds {
  private lastRound = 0;
  private readonly rounds: Round[] = [];

  constructor(private readonly roundsMax: number) {}

  /** Starts a round; returns its number, or undefined when too many rounds are pending. */
  add(index: number, requests: ReadRequest[], self: NodeId): number | undefined {
    if (this.rounds.length >= this.roundsMax) return undefined;
    this.lastRound++;
    this.rounds.push({ round: this.lastRound, index, requests, acks: new Set([self]) });
    return this.lastRound;
  }

  /** The newest pending round, which a heartbeat should carry (0 when none). */
  latestRound(): number {
    return this.rounds.length === 0 ? 0 : this.lastRound;
  }

  /**
   * Records that `from` answered `round`, which also vouches for every earlier round (it answered
   * a heartbeat sent after they started). Returns the acks of `round`, or undefined if unknown.
   */
  ack(round: number, from: NodeId): ReadonlySet<NodeId> | undefined {
    for (const pending of this.rounds) if (pending.round <= round) pending.acks.add(from);
    return this.rounds.find((pending) => pending.round === round)?.acks;
  }

  /** Releases `round` and all earlier rounds: [index, requests] pairs, oldest first. */
  release(round: number): { index: number; requests: ReadRequest[] }[] {
    const position = this.rounds.findIndex((pending) => pending.round === round);
    assert(position >= 0, `release of unknown read round ${round}`);
    return this.rounds.splice(0, position + 1).map(({ index, requests }) => ({ index, requests }));
  }

  pendingCount(): number {
    return this.rounds.length;
  }

  clear(): void {
    this.rounds.length = 0;
  }
}
