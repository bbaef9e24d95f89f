import type { NodeId } from '../../core/ids.js';
import type { QuorumSystem } from '../../core/quorum.js';
import type { ReadState } from '../../core/replicated-log.js';

interface PendingRead {
  readonly readId: number;
  /** Acks must answer an accept carrying at least this probe number: one sent after the request. */
  readonly probe: number;
  /** Every slot this leader proposed when the read came in; the read waits until they are applied. */
  readonly targetSlot: number;
  /** Whose acknowledgments confirm it: a majority of the configuration in force (of both, across a change). */
  readonly quorum: QuorumSystem;
}

/**
 * Linearizable reads without a log write and without a clock assumption (Raft's ReadIndex, in Paxos
 * words). When a read arrives, the leader notes the last slot it has proposed and sends a probe (an
 * accept with a fresh probe number). Once a majority acknowledged an accept carrying that number in
 * the leader's ballot, no higher ballot had a majority when they answered, so no write was chosen
 * that the leader does not hold; once the noted slot is applied, reading the local state is
 * linearizable. A write chosen under an older ballot is among the slots the leader re-proposed after
 * its phase 1, so it is at or below the noted slot. The majority is of the configuration in force
 * when the read came in, and of the one the leader is changing to if a change is under way.
 */
export class ReadBarriers {
  private probeSeq = 0;
  /** The highest probe each peer acknowledged in the current ballot. */
  private readonly acked = new Map<NodeId, number>();
  private readonly pending: PendingRead[] = [];

  constructor(
    private readonly self: NodeId,
    private readonly pendingMax: number,
  ) {}

  /** The probe number every accept carries now. */
  get probe(): number {
    return this.probeSeq;
  }

  /** Registers a read; returns false when too many wait. The caller sends the new probe. */
  request(readId: number, targetSlot: number, quorum: QuorumSystem): boolean {
    if (this.pending.length >= this.pendingMax) return false;
    this.pending.push({ readId, probe: ++this.probeSeq, targetSlot, quorum });
    return true;
  }

  onAck(from: NodeId, probe: number): void {
    if (probe > (this.acked.get(from) ?? 0)) this.acked.set(from, probe);
  }

  /** Reads confirmed by a majority whose slots are applied (`emittedSlot`), answered at `index`. */
  takeReady(emittedSlot: number, index: number): ReadState[] {
    const ready: ReadState[] = [];
    for (let at = 0; at < this.pending.length;) {
      const read = this.pending[at] as PendingRead;
      if (read.targetSlot <= emittedSlot && this.confirmed(read)) {
        ready.push({ readId: read.readId, index });
        this.pending.splice(at, 1);
      } else at++;
    }
    return ready;
  }

  hasReady(emittedSlot: number): boolean {
    return this.pending.some((read) => read.targetSlot <= emittedSlot && this.confirmed(read));
  }

  /** A new ballot or a step-down: pending reads are dropped (their clients time out) and acks forgotten. */
  reset(): void {
    this.pending.length = 0;
    this.acked.clear();
  }

  private confirmed(read: PendingRead): boolean {
    const voters = new Set([this.self]);
    for (const [id, acked] of this.acked) if (acked >= read.probe) voters.add(id);
    return read.quorum.isQuorum(voters);
  }
}
