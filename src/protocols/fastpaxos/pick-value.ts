import { type Ballot, ballotEquals, compareBallots } from '../../core/ballot.js';
import type { NodeId } from '../../core/ids.js';
import type { AcceptedProposal, PaxosValue } from '../paxos/messages.js';
import { valueKey } from '../paxos/messages.js';

/** What phase 1 (or a fast round's votes, read as phase 1) tells a recovering coordinator. */
export interface Pick {
  /** The value to propose; undefined: free, propose your own. */
  readonly value: PaxosValue | undefined;
  /** Values that may have been chosen in the highest round reported (more than one: quorums are wrong). */
  readonly mayHaveBeenChosen: readonly PaxosValue[];
  /** Votes per value in that round, for the narration. */
  readonly votes: readonly { readonly value: PaxosValue; readonly count: number }[];
}

/**
 * Fast Paxos's phase-2 value rule (Lamport, "Fast Paxos", §2.2 and §3.2). `reports` come from a
 * classic quorum Q: each acceptor's last vote, or null. Let k be the highest ballot reported.
 * If k is classic, its value is the only candidate (one value per classic ballot). If k is fast,
 * a value v may have been chosen in k only if some fast quorum R voted v; R has at least
 * `fastQuorum − (n − |Q|)` members in Q, so v needs that many votes among the reports. With
 * ⌈3n/4⌉ fast quorums at most one value can pass; with majority "fast quorums" two can, and the
 * reader cannot tell which (seed 002's 3-vs-2 example). Ambiguity and no candidate both fall back to
 * the value with the most votes (ties by JSON text), which is what a reader that cannot tell does.
 */
export function pickValue(
  reports: ReadonlyMap<NodeId, AcceptedProposal | null>,
  acceptorCount: number,
  fastQuorum: number,
  isFast: (ballot: Ballot) => boolean,
): Pick {
  let highest: Ballot | undefined;
  for (const report of reports.values())
    if (report !== null && (highest === undefined || compareBallots(report.ballot, highest) > 0))
      highest = report.ballot;
  if (highest === undefined) return { value: undefined, mayHaveBeenChosen: [], votes: [] };
  const counts = new Map<string, { value: PaxosValue; count: number }>();
  for (const report of reports.values()) {
    if (report === null || !ballotEquals(report.ballot, highest)) continue;
    const key = valueKey(report.value);
    const entry = counts.get(key) ?? { value: report.value, count: 0 };
    entry.count++;
    counts.set(key, entry);
  }
  const votes = [...counts.entries()]
    .sort(([a, x], [b, y]) => y.count - x.count || (a < b ? -1 : a > b ? 1 : 0))
    .map(([, entry]) => entry);
  const needed = isFast(highest) ? fastQuorum - (acceptorCount - reports.size) : 1;
  const mayHaveBeenChosen = votes
    .filter((entry) => entry.count >= needed)
    .map((entry) => entry.value);
  const value = mayHaveBeenChosen.length === 1 ? mayHaveBeenChosen[0] : votes[0]?.value;
  return { value, mayHaveBeenChosen, votes };
}
