import { type Ballot, compareBallots, formatBallot } from '../../core/ballot.js';
import type { NodeId } from '../../core/ids.js';
import type { ClusterView, InvariantChecker, InvariantViolation } from '../../core/protocol.js';
import { majorityQuorum } from '../../core/quorum.js';
import { type MultiPaxosConfig, isConfigValue } from './config.js';
import type { MultiPaxosEngine } from './engine.js';
import type { AcceptedSlot } from './messages.js';

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
 * - agreement: at most one value is chosen per slot, across all time ("chosen": a majority of the
 *   voters of the configuration governing the slot accepted it in one ballot), so a chosen slot
 *   never changes. The configuration governing slot s is the last one learned in a slot before s,
 *   or the boot configuration;
 * - learned-only-chosen and applied prefixes agree: every replica learns, for each slot, the value
 *   chosen there — so the prefixes they apply are equal.
 *
 * An accept lost in a crash before it was durable was never announced (the node syncs before it
 * sends), so it is taken back, as in the Basic Paxos checker.
 */
export class MultiPaxosInvariantChecker<N> implements InvariantChecker<N> {
  /** Votes per slot, keyed by ballot and value. */
  private readonly slots = new Map<number, Map<string, Tally>>();
  private talliesCount = 0;
  /** The value each slot was first learned with, by anyone. */
  private readonly learned = new Map<number, string>();
  /** Configurations learned, by slot (each governs the slots after it). */
  private readonly configs = new Map<number, MultiPaxosConfig>();
  private readonly incarnations = new Map<NodeId, MultiPaxosEngine<unknown>>();
  /** The boot configuration of the cluster (joining nodes boot with none). */
  private boot: MultiPaxosConfig | undefined;

  constructor(private readonly engineOf: (node: N) => MultiPaxosEngine<unknown>) {}

  check(view: ClusterView<N>): InvariantViolation | undefined {
    for (const { id, node } of view.nodes) {
      if (node === undefined) continue;
      const engine = this.engineOf(node);
      if (this.boot === undefined && engine.bootConfig.voters.length > 0)
        this.boot = engine.bootConfig;
      if (this.incarnations.get(id) !== engine) this.noticeRestart(id, engine);
      for (const event of engine.takeAudit()) {
        const broken =
          event.kind === 'learn'
            ? this.checkLearn(id, event.slot, event.value)
            : this.tally(id, event.entry);
        if (broken !== undefined) return broken;
      }
    }
    return undefined;
  }

  /** The values chosen in `slot` now (JSON text, with the ballot that chose each). */
  chosenAt(slot: number): { readonly valueKey: string; readonly ballot: Ballot }[] {
    const chosen = new Map<string, Ballot>();
    const quorum = majorityQuorum(this.configAt(slot).voters);
    for (const tally of this.slots.get(slot)?.values() ?? [])
      if (!chosen.has(tally.valueKey) && quorum.isQuorum(tally.acceptors))
        chosen.set(tally.valueKey, tally.ballot);
    return [...chosen].map(([valueKey, ballot]) => ({ valueKey, ballot }));
  }

  /** The configuration governing `slot`, as far as the replicas learned. */
  configAt(slot: number): MultiPaxosConfig {
    let found = -1;
    let config = this.boot ?? { voters: [], learners: [] };
    for (const [at, each] of this.configs)
      if (at < slot && at > found) {
        found = at;
        config = each;
      }
    return config;
  }

  private checkLearn(id: NodeId, slot: number, value: unknown): InvariantViolation | undefined {
    const valueKey = JSON.stringify(value);
    const first = this.learned.get(slot);
    if (first === undefined) {
      this.learned.set(slot, valueKey);
      if (isConfigValue(value)) this.configs.set(slot, value.config);
    } else if (first !== valueKey)
      return {
        invariant: 'applied-prefix-agreement',
        message: `node ${id} learned ${valueKey} in slot ${slot}, another replica learned ${first}`,
        nodes: [id],
      };
    if (this.chosenAt(slot).some((chosen) => chosen.valueKey === valueKey)) return undefined;
    return {
      invariant: 'learned-only-chosen',
      message: `node ${id} learned ${valueKey} in slot ${slot}, which is not chosen there`,
      nodes: [id],
    };
  }

  private tally(id: NodeId, entry: AcceptedSlot<unknown>): InvariantViolation | undefined {
    const valueKey = JSON.stringify(entry.value);
    const key = `${formatBallot(entry.ballot)}|${valueKey}`;
    let tallies = this.slots.get(entry.slot);
    if (tallies === undefined) {
      tallies = new Map();
      this.slots.set(entry.slot, tallies);
    }
    let tally = tallies.get(key);
    if (tally === undefined) {
      if (++this.talliesCount > TALLIES_MAX)
        throw new Error('multipaxos checker: too many ballots to remember');
      tally = { slot: entry.slot, ballot: entry.ballot, valueKey, acceptors: new Set() };
      tallies.set(key, tally);
    }
    tally.acceptors.add(id);
    const chosen = this.chosenAt(entry.slot);
    if (chosen.length < 2) return undefined;
    return {
      invariant: 'agreement',
      message: `slot ${entry.slot}: two values chosen: ${chosen.map((c) => `${c.valueKey} in ballot ${formatBallot(c.ballot)}`).join(' and ')}`,
    };
  }

  /** Takes back the votes a restarted node lost: they were never durable, so never announced. */
  private noticeRestart(id: NodeId, engine: MultiPaxosEngine<unknown>): void {
    const previous = this.incarnations.get(id);
    this.incarnations.set(id, engine);
    if (previous === undefined) return;
    const acceptor = engine.acceptor;
    for (const [slot, tallies] of this.slots) {
      if (slot <= acceptor.compactedSlot) continue;
      const kept = acceptor.accepted.get(slot);
      for (const tally of tallies.values())
        if (kept === undefined || compareBallots(tally.ballot, kept.ballot) > 0)
          tally.acceptors.delete(id);
    }
  }
}
