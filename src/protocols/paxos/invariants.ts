import { type Ballot, compareBallots, formatBallot } from '../../core/ballot.js';
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
  /** Grows whenever the node's durable state changes (every persisted record): unchanged means skip. */
  stateVersion(): number;
}

/** Votes for one (instance, ballot, value). */
interface Tally {
  readonly instance: number;
  readonly ballot: Ballot;
  readonly value: PaxosValue;
  readonly acceptors: Set<NodeId>;
  /** The acceptor set the votes count against. */
  readonly voters: readonly NodeId[];
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
  /**
   * What the checker already saw of each node object (a restarted node is a new object): the
   * accepted proposal per instance, by reference (acceptor states are immutable, so an unchanged
   * reference is an unchanged state), and the instances whose learned value was checked. This
   * keeps a check after every simulator event proportional to what changed, not to history.
   */
  private readonly seenAccepted = new WeakMap<PaxosCheckable, Map<number, AcceptedProposal>>();
  private readonly seenLearned = new WeakMap<PaxosCheckable, Set<number>>();
  private readonly quorums = new Map<string, ThresholdQuorum>();
  private readonly changedInstances = new Set<number>();
  private readonly seenVersion = new WeakMap<PaxosCheckable, number>();
  /** The node object last seen for each id: a different one means the node restarted. */
  private readonly incarnations = new Map<NodeId, PaxosCheckable>();

  constructor(private readonly variant: PaxosVariant) {}

  check(view: ClusterView<PaxosCheckable>): InvariantViolation | undefined {
    for (const { node } of view.nodes)
      if (node !== undefined)
        for (const value of node.proposedValues()) this.proposed.add(valueKey(value));
    for (const { id, node } of view.nodes) if (node !== undefined) this.noticeRestart(id, node);
    const changed = view.nodes.filter(
      ({ node }) => node !== undefined && this.seenVersion.get(node) !== node.stateVersion(),
    );
    for (const { id, node } of changed) if (node !== undefined) this.tallyAccepts(id, node);
    const broken = this.checkChosen() ?? this.checkLearned(changed);
    for (const { node } of changed)
      if (node !== undefined) this.seenVersion.set(node, node.stateVersion());
    return broken;
  }

  /**
   * When a node restarts under a variant that syncs before it sends, an accept it lost in the crash
   * was never durable, so nothing it caused ever left the node (its replies waited for the fsync).
   * Paxos treats such an accept as never made: the checker takes the node's vote back from every
   * ballot above what it restored, and un-chooses what no longer has a quorum. Under
   * `reply-before-persist` the lost accept may already have been announced, so it keeps counting.
   */
  private noticeRestart(id: NodeId, node: PaxosCheckable): void {
    const previous = this.incarnations.get(id);
    this.incarnations.set(id, node);
    if (previous === undefined || previous === node || this.variant === 'reply-before-persist')
      return;
    const restored = new Map(node.acceptedEntries());
    for (const tally of this.tallies.values()) {
      if (!tally.acceptors.has(id)) continue;
      const kept = restored.get(tally.instance);
      if (kept !== undefined && kept !== null && compareBallots(tally.ballot, kept.ballot) <= 0)
        continue;
      tally.acceptors.delete(id);
      if (!this.quorumFor(tally.voters).isQuorum(tally.acceptors)) this.unchoose(tally);
    }
  }

  private unchoose(tally: Tally): void {
    const values = this.chosen.get(tally.instance);
    const entry = values?.get(valueKey(tally.value));
    if (
      values === undefined ||
      entry === undefined ||
      compareBallots(entry.ballot, tally.ballot) !== 0
    )
      return;
    values.delete(valueKey(tally.value));
    // Another ballot may still have chosen the same value with a quorum of its own.
    for (const other of this.tallies.values())
      if (
        other.instance === tally.instance &&
        other !== tally &&
        valueKey(other.value) === valueKey(tally.value) &&
        this.quorumFor(tally.voters).isQuorum(other.acceptors)
      ) {
        values.set(valueKey(other.value), { value: other.value, ballot: other.ballot });
        return;
      }
  }

  /** Every value chosen so far, by instance. */
  chosenValues(instance = 0): PaxosValue[] {
    return [...(this.chosen.get(instance)?.values() ?? [])].map((entry) => entry.value);
  }

  private quorumFor(acceptors: readonly NodeId[]): ThresholdQuorum {
    const key = acceptors.join(',');
    let quorum = this.quorums.get(key);
    if (quorum === undefined) {
      quorum = new ThresholdQuorum(acceptors, quorumSizeFor(this.variant, acceptors.length));
      this.quorums.set(key, quorum);
    }
    return quorum;
  }

  private tallyAccepts(id: NodeId, node: PaxosCheckable): void {
    let seen = this.seenAccepted.get(node);
    if (seen === undefined) {
      seen = new Map();
      this.seenAccepted.set(node, seen);
    }
    for (const [instance, accepted] of node.acceptedEntries()) {
      if (accepted === null || seen.get(instance) === accepted) continue;
      seen.set(instance, accepted);
      this.tally(id, instance, accepted, this.quorumFor(node.acceptors));
    }
  }

  private tally(
    id: NodeId,
    instance: number,
    accepted: AcceptedProposal,
    quorum: ThresholdQuorum,
  ): void {
    const key = `${instance}|${formatBallot(accepted.ballot)}|${valueKey(accepted.value)}`;
    let tally = this.tallies.get(key);
    if (tally === undefined) {
      if (this.tallies.size >= TALLIES_MAX)
        throw new Error('paxos checker: too many ballots to remember');
      tally = {
        instance,
        ballot: accepted.ballot,
        value: accepted.value,
        acceptors: new Set(),
        voters: quorum.voters,
      };
      this.tallies.set(key, tally);
    }
    if (tally.acceptors.has(id)) return;
    tally.acceptors.add(id);
    if (!quorum.isQuorum(tally.acceptors)) return;
    let values = this.chosen.get(instance);
    if (values === undefined) {
      values = new Map();
      this.chosen.set(instance, values);
    }
    const valueText = valueKey(tally.value);
    if (values.has(valueText)) return;
    values.set(valueText, { value: tally.value, ballot: tally.ballot });
    this.changedInstances.add(instance);
  }

  private checkChosen(): InvariantViolation | undefined {
    for (const instance of this.changedInstances) {
      const entries = [...(this.chosen.get(instance)?.values() ?? [])];
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
    this.changedInstances.clear();
    return undefined;
  }

  private checkLearned(
    nodes: readonly { readonly id: NodeId; readonly node: PaxosCheckable | undefined }[],
  ): InvariantViolation | undefined {
    for (const { id, node } of nodes) {
      if (node === undefined) continue;
      let checked = this.seenLearned.get(node);
      if (checked === undefined) {
        checked = new Set();
        this.seenLearned.set(node, checked);
      }
      for (const [instance, value] of node.learnedEntries()) {
        if (checked.has(instance)) continue;
        if (this.chosen.get(instance)?.has(valueKey(value)) !== true)
          return {
            invariant: 'learned-only-chosen',
            message: `node ${id} learned ${valueKey(value)} in instance ${instance}, which is not chosen`,
            nodes: [id],
          };
        checked.add(instance);
      }
    }
    return undefined;
  }
}
