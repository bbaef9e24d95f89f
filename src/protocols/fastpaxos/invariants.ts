import { type Ballot, compareBallots, formatBallot } from '../../core/ballot.js';
import type { NodeId } from '../../core/ids.js';
import type { ClusterView, InvariantChecker, InvariantViolation } from '../../core/protocol.js';
import type { AcceptedProposal, PaxosValue } from '../paxos/messages.js';
import { valueKey } from '../paxos/messages.js';
import type { FastPaxosNode } from './node.js';

interface Tally {
  readonly ballot: Ballot;
  readonly value: PaxosValue;
  readonly acceptors: Set<NodeId>;
  /** The quorum of the ballot's kind. */
  readonly needed: number;
}

/**
 * Fast Paxos's safety over the whole run: "chosen" means a quorum of the ballot's kind — fast or
 * classic, by the variant's own sizes — accepted one value in that ballot (so
 * `classic-quorum-fast-round` is judged by what it claims).
 *
 * - agreement: at most one value is chosen;
 * - validity: only a proposed value is chosen;
 * - learned-only-chosen: a node learns only a chosen value.
 *
 * Votes lost in a crash before they were durable were never announced, so they are taken back.
 */
export class FastPaxosInvariantChecker implements InvariantChecker<FastPaxosNode> {
  private readonly tallies = new Map<string, Tally>();
  /** Recomputed from the tallies after every check, since a take-back can un-choose a value. */
  private chosen = new Map<string, { value: PaxosValue; ballot: Ballot }>();
  private readonly proposed = new Set<string>();
  /** The node object last seen per id (a new one: it restarted) and how many of its votes were counted. */
  private readonly seen = new Map<NodeId, { node: FastPaxosNode; counted: number }>();

  check(view: ClusterView<FastPaxosNode>): InvariantViolation | undefined {
    for (const { id, node } of view.nodes) {
      if (node === undefined) continue;
      if (node.proposed !== undefined) this.proposed.add(valueKey(node.proposed));
      let seen = this.seen.get(id);
      if (seen === undefined || seen.node !== node) {
        if (seen !== undefined) this.takeBack(id, node);
        seen = { node, counted: 0 };
        this.seen.set(id, seen);
      }
      for (; seen.counted < node.votes.length; seen.counted++)
        this.tally(id, node.votes[seen.counted] as AcceptedProposal, node);
    }
    this.recomputeChosen();
    return this.verdict(view);
  }

  /** Every value chosen so far. */
  chosenValues(): PaxosValue[] {
    return [...this.chosen.values()].map((entry) => entry.value);
  }

  private tally(id: NodeId, accepted: AcceptedProposal, node: FastPaxosNode): void {
    const key = `${formatBallot(accepted.ballot)}|${valueKey(accepted.value)}`;
    let tally = this.tallies.get(key);
    if (tally === undefined) {
      const needed = node.isFast(accepted.ballot)
        ? node.fastQuorum
        : Math.floor(node.acceptors.length / 2) + 1;
      tally = { ballot: accepted.ballot, value: accepted.value, acceptors: new Set(), needed };
      this.tallies.set(key, tally);
    }
    tally.acceptors.add(id);
  }

  private recomputeChosen(): void {
    const chosen = new Map<string, { value: PaxosValue; ballot: Ballot }>();
    for (const tally of this.tallies.values())
      if (tally.acceptors.size >= tally.needed && !chosen.has(valueKey(tally.value)))
        chosen.set(valueKey(tally.value), { value: tally.value, ballot: tally.ballot });
    this.chosen = chosen;
  }

  private takeBack(id: NodeId, node: FastPaxosNode): void {
    const kept = node.accepted();
    for (const tally of this.tallies.values())
      if (kept === null || compareBallots(tally.ballot, kept.ballot) > 0)
        tally.acceptors.delete(id);
  }

  private verdict(view: ClusterView<FastPaxosNode>): InvariantViolation | undefined {
    const entries = [...this.chosen.values()];
    if (entries.length > 1)
      return {
        invariant: 'agreement',
        message: `two values chosen: ${entries.map((entry) => `${valueKey(entry.value)} in ballot ${formatBallot(entry.ballot)}`).join(' and ')}`,
      };
    for (const entry of entries)
      if (!this.proposed.has(valueKey(entry.value)))
        return {
          invariant: 'validity',
          message: `${valueKey(entry.value)} was chosen but never proposed`,
        };
    for (const { id, node } of view.nodes)
      if (node?.learnedValue !== undefined && !this.chosen.has(valueKey(node.learnedValue)))
        return {
          invariant: 'learned-only-chosen',
          message: `node ${id} learned ${valueKey(node.learnedValue)}, which is not chosen`,
          nodes: [id],
        };
    return undefined;
  }
}
