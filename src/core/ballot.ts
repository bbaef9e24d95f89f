import { assert } from './assert.js';
import { NODE_ID_MAX, type NodeId, assertNodeId } from './ids.js';

/**
 * A ballot (Paxos's "proposal number", "round" or `rnd`; Raft calls its analogue a term): a round
 * number made unique by the proposer's node id. Ballots are totally ordered by round, then node.
 *
 * Synod says "ballot" for the pair and "round" for its first half everywhere: in code, docs, CLI and
 * the visualizer.
 */
export interface Ballot {
  readonly round: number;
  readonly node: NodeId;
}

/** The ballot below every real ballot: "nothing promised / nothing accepted yet". */
export const ZERO_BALLOT: Ballot = Object.freeze({ round: 0, node: 0 });

export function ballot(round: number, node: NodeId): Ballot {
  assert(Number.isSafeInteger(round) && round >= 0, `bad round ${round}`);
  assertNodeId(node);
  return { round, node };
}

export function compareBallots(a: Ballot, b: Ballot): number {
  return a.round !== b.round ? a.round - b.round : a.node - b.node;
}

export function ballotGreater(a: Ballot, b: Ballot): boolean {
  return compareBallots(a, b) > 0;
}

export function ballotEquals(a: Ballot, b: Ballot): boolean {
  return a.round === b.round && a.node === b.node;
}

export function maxBallot(a: Ballot, b: Ballot): Ballot {
  return compareBallots(a, b) >= 0 ? a : b;
}

export function formatBallot(value: Ballot): string {
  return `${value.round}.${value.node}`;
}

/**
 * One integer that orders like the ballot: `round * 2^16 + node`. This is the seeds' scheme for
 * proposal ids — "high bits a timestamp, low bits the machine id" — when the round is a timestamp.
 * It fits rounds below 2^37 (a timestamp in seconds, or milliseconds since a recent epoch); the
 * `Ballot` pair itself has no such limit.
 */
export function proposalNumber(value: Ballot): number {
  assert(
    value.round <= Math.floor(Number.MAX_SAFE_INTEGER / (NODE_ID_MAX + 1)),
    `round too large: ${value.round}`,
  );
  return value.round * (NODE_ID_MAX + 1) + value.node;
}

export function ballotFromProposalNumber(value: number): Ballot {
  assert(Number.isSafeInteger(value) && value >= 0, `bad proposal number ${value}`);
  return ballot(Math.floor(value / (NODE_ID_MAX + 1)), value % (NODE_ID_MAX + 1));
}

/** How a proposer chooses its next round. */
export type BallotScheme = 'counter' | 'timestamp';

/**
 * The next ballot for `node`, higher than every ballot it has seen.
 * - `counter`: one more than the highest round seen.
 * - `timestamp`: the local clock in milliseconds when that is higher, so that rounds stay
 *   roughly aligned with time across proposers (the seeds' scheme); otherwise one more.
 */
export function nextBallot(
  scheme: BallotScheme,
  node: NodeId,
  highestSeen: Ballot,
  nowMs = 0,
): Ballot {
  const candidate =
    scheme === 'timestamp' ? Math.max(Math.floor(nowMs), highestSeen.round) : highestSeen.round;
  const next = ballot(candidate, node);
  return ballotGreater(next, highestSeen) ? next : ballot(candidate + 1, node);
}
