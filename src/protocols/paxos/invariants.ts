import { type Ballot, formatBallot } from '../../core/ballot.js';
import type { NodeId } from '../../core/ids.js';
import type { ClusterView, InvariantChecker, InvariantViolation } from '../../core/protocol.js';
import { ThresholdQuorum } from '../../core/quorum.js';
import type { AcceptedProposal, PaxosValue } from './messages.js';
import { valueKey } from './messages.js';
import { type PaxosVariant, quorumSizeFor } from './options.js';

/** What the checker needs of a node: its roles' state, read-only. */
export interface PaxosCheckable {
  readonly acceptors: readonly NodeId[];
  /** Every instance this node accepted something in: (instance, accepted). */
  acceptedEntries(): readonly (readonly [number, AcceptedProposal | null])[];
  /** Every instance this node learned a value for. */
  learnedEntries(): readonly (readonly [number, PaxosValue])[];
  /** Values this node has proposed (its own values, never adopted ones). */
  proposedValues(): readonly PaxosValue[];
}

/** Votes for one (instance, ballot, value). */
interface Tally {
  readonly instance: number;
  readonly ballot: Ballot;
  readonly value: PaxosValue;
  readonly acceptors: Set<NodeId>;
}

/** Bound on remembered tallies: a run with more distinct (instance, ballot, value) triples is refused loudly. */
const TALLIES_MAX = 1_000_000;

/**
 * The safety of Paxos, checked against the history of the whole cluster (a stateful checker: it
 * sees the cluster after every simulator event and remembers every accept it ever saw, so an
 * acceptor that forgets an accept in a crash cannot hide it):
 *
 * - agreement: at most one value is chosen per instance, where "chosen" means a quorum of the
 *   variant's quorum system accepted it in one ballot (the protocol's own definition, so that
 *   `minority-quorum` is judged by what it claims to guarantee);
 * - validity: only a proposed value can be chosen;
 * - a learner learns only a chosen value.
 */
export class PaxosInvariantChecker implements InvariantChecker<PaxosCheckable> {
  private readonly tallies = new Map<string, Tally>();
  private readonly chosen = new Map<number, Map<string, { value: PaxosValue; ballot: Ballot }>>();
  private readonly proposed = new Set<string>();

  constructor(private readonly variant: PaxosVariant) {}

  check(view: ClusterView<PaxosCheckable>): InvariantViolation | undefined {
    for (const { node } of view.nodes)
      if (node !== undefined)
        for (const value of node.proposedValues()) this.proposed.add(valueKey(value));
    for (const { id, node } of view.nodes) if (node !== undefined) this.tallyAccepts(id, node);
    return this.checkChosen() ?? this.checkLearned(view);
  }

  /** Every value chosen so far, by instance. */
  chosenValues(instance = 0): PaxosValue[] {
    return [...(this.chosen.get(instance)?.values() ?? [])].map((entry) => entry.value);
  }

  private tallyAccepts(id: NodeId, node: PaxosCheckable): void {
    const quorum = new ThresholdQuorum(
      node.acceptors,
      quorumSizeFor(this.variant, node.acceptors.length),
    );
    for (const [instance, accepted] of node.acceptedEntries()) {
      if (accepted === null) continue;
      const key = `${instance}|${formatBallot(accepted.ballot)}|${valueKey(accepted.value)}`;
      let tally = this.tallies.get(key);
      if (tally === undefined) {
        if (this.tallies.size >= TALLIES_MAX)
          throw new Error('paxos checker: too many ballots to remember');
        tally = { instance, ballot: accepted.ballot, value: accepted.value, acceptors: new Set() };
        this.tallies.set(key, tally);
      }
      if (tally.acceptors.has(id)) continue;
      tally.acceptors.add(id);
      if (!quorum.isQuorum(tally.acceptors)) continue;
      let values = this.chosen.get(instance);
      if (values === undefined) {
        values = new Map();
        this.chosen.set(instance, values);
      }
      if (!values.has(valueKey(tally.value)))
        values.set(valueKey(tally.value), { value: tally.value, ballot: tally.ballot });
    }
  }

  private checkChosen(): InvariantViolation | undefined {
    for (const [instance, values] of this.chosen) {
      const entries = [...values.values()];
      if (entries.length > 1)
        return {
          invariant: 'agreement',
          message: `instance ${instance}: two values chosen: ${entries
            .map((entry) => `${valueKey(entry.value)} in ballot ${formatBallot(entry.ballot)}`)
            .join(' and ')}`,
        };
      for (const entry of entries)
        if (!this.proposed.has(valueKey(entry.value)))
          return {
            invariant: 'validity',
            message: `instance ${instance}: ${valueKey(entry.value)} was chosen but never proposed`,
          };
    }
    return undefined;
  }

  private checkLearned(view: ClusterView<PaxosCheckable>): InvariantViolation | undefined {
    for (const { id, node } of view.nodes) {
      if (node === undefined) continue;
      for (const [instance, value] of node.learnedEntries()) {
        if (this.chosen.get(instance)?.has(valueKey(value)) === true) continue;
        return {
          invariant: 'learned-only-chosen',
          message: `node ${id} learned ${valueKey(value)} in instance ${instance}, which is not chosen`,
          nodes: [id],
        };
      }
    }
    return undefined;
  }
}
