import { assert } from '../../core/assert.js';
import { type Ballot, ZERO_BALLOT, ballotGreater, compareBallots } from '../../core/ballot.js';
import type { NodeId } from '../../core/ids.js';
import type {
  AcceptedSlot,
  LogSnapshot,
  MultiPaxosEffects,
  MultiPaxosRecord,
  SlotProposal,
} from './messages.js';

/**
 * The acceptor of every slot at once. Basic Paxos's acceptor keeps `lastRnd` per instance; here
 * one promise covers all slots, which is what lets a leader run phase 1 once for the whole log.
 * Every change is persisted through `effects` before the reply, and the node syncs the batch
 * before it leaves.
 */
export class MultiAcceptor<C> {
  /** Invariant: never decreases; every accepted slot's ballot is at most `promised`. */
  promised: Ballot = ZERO_BALLOT;
  /** Accepted slots above the compacted prefix. */
  readonly accepted = new Map<number, AcceptedSlot<C>>();
  /** Slots at or below this are compacted (chosen and applied). */
  compactedSlot = 0;
  /** The lease: prepares from anyone but `leaseHolder` are refused until `leaseUntilTick`. */
  leaseHolder: NodeId | null = null;
  leaseUntilTick = 0;

  constructor(private readonly id: NodeId) {}

  restore(record: MultiPaxosRecord<C>): void {
    if (record.kind === 'promise') this.promised = record.ballot;
    else if (record.kind === 'accept') for (const entry of record.entries) this.keep(entry);
    else if (record.kind === 'snapshot') this.dropThrough(record.snapshot.slot);
  }

  /**
   * Phase 1b for every slot ≥ fromSlot. Promise iff the ballot is above the promise (or is the
   * promise: a leader asks the acceptors of a configuration it just reached, some of which accepted
   * its ballot already, what they accepted) and no other leader's lease is running; report every
   * accepted slot (and the snapshot, if the leader is behind it).
   */
  onPrepare(
    from: NodeId,
    ballot: Ballot,
    fromSlot: number,
    nowTick: number,
    snapshot: LogSnapshot | null,
    effects: MultiPaxosEffects<C>,
  ): boolean {
    const leased =
      this.leaseHolder !== null && this.leaseHolder !== from && nowTick < this.leaseUntilTick;
    if (compareBallots(ballot, this.promised) < 0 || leased) {
      return this.reject(from, ballot, effects);
    }
    if (ballotGreater(ballot, this.promised)) this.promise(ballot, effects);
    const accepted = [...this.accepted.values()].filter((entry) => entry.slot >= fromSlot);
    const behind = snapshot !== null && snapshot.slot >= fromSlot ? snapshot : null;
    effects.send(from, { type: 'promise', ballot, fromSlot, accepted, snapshot: behind });
    return true;
  }

  /** Phase 2b for a batch of slots: accept iff `ballot ≥ promised`. A live leader's accept renews its lease. */
  onAccept(
    from: NodeId,
    ballot: Ballot,
    entries: readonly SlotProposal<C>[],
    nowTick: number,
    leaseTicks: number,
    effects: MultiPaxosEffects<C>,
  ): boolean {
    if (compareBallots(ballot, this.promised) < 0) {
      return this.reject(from, ballot, effects);
    }
    if (ballotGreater(ballot, this.promised)) this.promise(ballot, effects);
    this.renewLease(from, nowTick, leaseTicks);
    const stored: AcceptedSlot<C>[] = [];
    for (const { slot, value } of entries) {
      if (slot <= this.compactedSlot) continue; // chosen and applied already
      const entry = { slot, ballot, value };
      this.keep(entry);
      stored.push(entry);
    }
    if (stored.length > 0) effects.persist({ kind: 'accept', entries: stored });
    return true;
  }

  /** `holder` leads: refuse other proposers' prepares for `leaseTicks`. */
  renewLease(holder: NodeId, nowTick: number, leaseTicks: number): void {
    this.leaseHolder = holder;
    this.leaseUntilTick = nowTick + leaseTicks;
  }

  /** Compaction: slots at or below `slot` are chosen and in a snapshot. */
  dropThrough(slot: number): void {
    if (slot <= this.compactedSlot) return;
    for (const key of [...this.accepted.keys()]) if (key <= slot) this.accepted.delete(key);
    this.compactedSlot = slot;
  }

  /** The records that rebuild this acceptor, for a compaction's `replace`. */
  records(): MultiPaxosRecord<C>[] {
    const entries = [...this.accepted.values()].sort((a, b) => a.slot - b.slot);
    return [
      { kind: 'promise', ballot: this.promised },
      ...(entries.length === 0 ? [] : [{ kind: 'accept' as const, entries }]),
    ];
  }

  /** A node promises its own new ballot before its prepare leaves. */
  promise(ballot: Ballot, effects: MultiPaxosEffects<C>): void {
    if (compareBallots(ballot, this.promised) < 0)
      assert(false, `acceptor ${this.id}: promise went backwards`);
    this.promised = ballot;
    effects.persist({ kind: 'promise', ballot });
  }

  /** Refusal names what we promised and whose lease we hold, so the sender can catch up or follow. */
  private reject(from: NodeId, ballot: Ballot, effects: MultiPaxosEffects<C>): false {
    effects.send(from, {
      type: 'reject',
      ballot,
      promised: this.promised,
      leader: this.leaseHolder,
    });
    return false;
  }

  private keep(entry: AcceptedSlot<C>): void {
    if (entry.slot <= this.compactedSlot) return;
    this.accepted.set(entry.slot, entry);
  }
}
