import { assert } from '../../core/assert.js';
import { type Ballot, ZERO_BALLOT, ballot, compareBallots } from '../../core/ballot.js';
import type { NodeId } from '../../core/ids.js';
import type { RegisterCopy } from './messages.js';
import type { QuorumVariant } from './options.js';

export interface ReadReply {
  readonly from: NodeId;
  readonly copy: RegisterCopy;
}

export interface ReadDecision {
  readonly copy: RegisterCopy;
  /** `majority` only: the replies disagreed, and the coordinator had no way to choose. */
  readonly conflict?: readonly ReadReply[];
}

/**
 * What a coordinator takes for the current value after a majority answered its read:
 * - majority: there are no versions. If the replies disagree (seed 002: "it will see two different
 *   values") nothing says which is newer; this coordinator takes the first reply, its own copy when
 *   it holds one, and reports the conflict;
 * - lww, versioned, prepared: the copy with the highest version (timestamp, version number, or
 *   the seed's `vrnd`, so that phase 2 completes what another proposer may have left half-written).
 */
export function decideCurrent(variant: QuorumVariant, replies: readonly ReadReply[]): ReadDecision {
  const first = replies[0];
  assert(first !== undefined, 'a decision needs at least one reply');
  if (variant === 'majority') {
    const disagree = replies.some((reply) => reply.copy.value !== first.copy.value);
    return disagree ? { copy: first.copy, conflict: replies } : { copy: first.copy };
  }
  let best = first.copy;
  for (const reply of replies)
    if (compareBallots(reply.copy.version, best.version) > 0) best = reply.copy;
  return { copy: best };
}

export interface VersionSource {
  readonly node: NodeId;
  /** The highest round this coordinator has seen anywhere: its Lamport clock. */
  readonly clockRound: number;
  /** `prepared`: the ballot of this operation's pre-read. */
  readonly ballot: Ballot | undefined;
}

/**
 * The copy a coordinator writes after reading `current`. `seq` counts writes, so two writes built
 * on the same read get the same `seq`: that is what a lost update looks like.
 */
export function nextCopy(
  variant: QuorumVariant,
  current: RegisterCopy,
  value: string | null,
  source: VersionSource,
  changes: boolean,
): RegisterCopy {
  const seq = changes ? current.seq + 1 : current.seq;
  switch (variant) {
    case 'majority':
      return { value, version: ZERO_BALLOT, seq };
    case 'lww':
      // "A globally increasing timestamp": a Lamport clock, made unique by the writer's id.
      return { value, version: ballot(source.clockRound + 1, source.node), seq };
    case 'versioned':
      // The seed's set(n): "set the next version of i", next counted from what the read found.
      return { value, version: ballot(current.version.round + 1, source.node), seq };
    case 'prepared':
      assert(source.ballot !== undefined, 'a prepared write needs its pre-read ballot');
      return { value, version: source.ballot, seq };
  }
}
