import { type Ballot, compareBallots, formatBallot } from '../../core/ballot.js';
import type { NodeId } from '../../core/ids.js';
import type { ClusterView, InvariantChecker, InvariantViolation } from '../../core/protocol.js';
import { type ThresholdQuorum, majorityQuorum } from '../../core/quorum.js';
import type { AuditEvent, MultiPaxosEngine } from './engine.js';

/** Votes for one (slot, ballot, value). */
interface Tally {
  readonly slot: number;
  readonly ballot: Ballot;
  readonly valueKey: string;
  readonly acceptors: Set<NodeId>;
}

/** Bound on remembered tallies; a run with more is refused loudly rather than exhausting memory. */
const TALLIES_MAX = 2_000_000;

/**
 * The safety of Multi-Paxos over the whole history of a run (the checker remembers every accept it
 * ever saw, so a crash cannot hide a chosen value):
 *
 * - agreement: at most one value is chosen per slot, across all time ("chosen": a majority accepted
 *   it in one ballot), so a chosen slot never changes;
 * - learned-only-chosen and applied prefixes agree: every replica learns, for each slot, the value
 *   chosen there — so the prefixes they apply are equal.
 *
 * An accept lost in a crash before it was durable was never announced (the node syncs before it
 * sends), so it is taken back, as in the Basic Paxos checker.
 */
export class MultiPaxosInvariantChecker<N> implements InvariantChecker<N> {
  private readonly tallies = new Map<string, Tally>();
  private readonly chosen = new Map<number, { valueKey: string; ballot: Ballot }>();
  /** The value each slot was first learned with, by anyone. */
  private readonly learned = new Map<number, string>();
  private readonly incarnations = new Map<NodeId, MultiPaxosEngine<unknown>>();
  private quorum: ThresholdQuorum | undefined;

  constructor(private readonly engineOf: (node: N) => MultiPaxosEngine<unknown>) {}

  check(view: ClusterView<N>): InvariantViolation | undefined {
    this.quorum ??= majorityQuorum(view.nodes.map(({ id }) => id));
    for (const { id, node } of view.nodes) {
      if (node === undefined) continue;
      const engine = this.engineOf(node);
      if (this.incarnations.get(id) !== engine) this.noticeRestart(id, engine);
      for (const event of engine.takeAudit()) {
        const broken = this.record(id, event);
        if (broken !== undefined) return broken;
      }
    }
    return undefined;
  }

  /** The value chosen in `slot` (as JSON text), if any. */
  chosenAt(slot: number): string | undefined {
    return this.chosen.get(slot)?.valueKey;
  }

  private record(id: NodeId, event: AuditEvent<unknown>): InvariantViolation | undefined {
    if (event.kind === 'learn') {
      const valueKey = JSON.stringify(event.value);
      const first = this.learned.get(event.slot);
      if (first === undefined) this.learned.set(event.slot, valueKey);
      else if (first !== valueKey)
        return {
          invariant: 'applied-prefix-agreement',
          message: `node ${id} learned ${valueKey} in slot ${event.slot}, another replica learned ${first}`,
          nodes: [id],
        };
      const chosen = this.chosen.get(event.slot);
      if (chosen === undefined || chosen.valueKey !== valueKey)
        return {
          invariant: 'learned-only-chosen',
          message: `node ${id} learned ${valueKey} in slot ${event.slot}, which is not chosen there`,
          nodes: [id],
        };
      return undefined;
    }
    const { slot, ballot, value } = event.entry;
    const valueKey = JSON.stringify(value);
    const key = `${slot}|${formatBallot(ballot)}|${valueKey}`;
    let tally = this.tallies.get(key);
    if (tally === undefined) {
      if (this.tallies.size >= TALLIES_MAX)
        throw new Error('multipaxos checker: too many ballots to remember');
      tally = { slot, ballot, valueKey, acceptors: new Set() };
      this.tallies.set(key, tally);
    }
    tally.acceptors.add(id);
    if (this.quorum === undefined || !this.quorum.isQuorum(tally.acceptors)) return undefined;
    const chosen = this.chosen.get(slot);
    if (chosen === undefined) {
      this.chosen.set(slot, { valueKey, ballot });
      return undefined;
    }
    if (chosen.valueKey === valueKey) return undefined;
    return {
      invariant: 'agreement',
      message: `slot ${slot}: two values chosen: ${chosen.valueKey} in ballot ${formatBallot(chosen.ballot)} and ${valueKey} in ballot ${formatBallot(ballot)}`,
    };
  }

  /** Takes back the votes a restarted node lost: they were never durable, so never announced. */
  private noticeRestart(id: NodeId, engine: MultiPaxosEngine<unknown>): void {
    const previous = this.incarnations.get(id);
    this.incarnations.set(id, engine);
    if (previous === undefined) return;
    const acceptor = engine.acceptor;
    for (const tally of this.tallies.values()) {
      if (!tally.acceptors.has(id) || tally.slot <= acceptor.compactedSlot) continue;
      const kept = acceptor.accepted.get(tally.slot);
      if (kept !== undefined && compareBallots(tally.ballot, kept.ballot) <= 0) continue;
      tally.acceptors.delete(id);
      const chosen = this.chosen.get(tally.slot);
      if (
        chosen !== undefined &&
        chosen.valueKey === tally.valueKey &&
        compareBallots(chosen.ballot, tally.ballot) === 0 &&
        this.quorum !== undefined &&
        !this.quorum.isQuorum(tally.acceptors)
      )
        this.chosen.delete(tally.slot);
    }
  }
}
