import { assert } from '../../core/assert.js';

/**
 * How the leader replicates to one follower (etcd's tracker.Progress):
 * - `probe`: the follower's log position is unknown; send one append per heartbeat interval and
 *   walk `next` back on rejection.
 * - `replicate`: the position is known; stream appends optimistically, advancing `next` on send,
 *   with at most `inflightMax` unacknowledged messages, and (when `inflightBytesMax` > 0) until
 *   their entries reach that many bytes (etcd-io/raft's MaxInflightBytes): a follower catching up
 *   from far behind is sent a bounded amount per round trip, not the whole window of large
 *   messages at once.
 * - `snapshot`: the entries the follower needs are compacted; a snapshot is on its way.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  // Invariant: 0 <= match < next.
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** In probe state: an append is out and unanswered, so wait for a response or a heartbeat. */
  probeSent = false;
  /** In snapshot state: the index of the snapshot sent. */
  pendingSnapshot = 0;
  /** In replicate state: the last index of each unacknowledged append, oldest first. */
  private readonly inflight: number[] = [];
  /** The entry bytes of each unacknowledged append, in the same order, and their sum. */
  private readonly inflightSizes: number[] = [];
  private inflightBytes = 0;
  /** Heard from since the last CheckQuorum round. */
  recentActive = false;

  constructor(
    next: number,
    readonly inflightMax: number,
    readonly inflightBytesMax = 0,
  ) {
    assert(next >= 1 && inflightMax >= 1 && inflightBytesMax >= 0, 'bad progress');
    this.next = next;
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.isInflightFull();
      case 'snapshot':
        return true;
    }
  }

  inflightCount(): number {
    return this.inflight.length;
  }

  becomeProbe(): void {
    // After a snapshot, resume right after it; otherwise just after what is known to match.
    const next =
      this.state === 'snapshot'
        ? Math.max(this.match + 1, this.pendingSnapshot + 1)
        : this.match + 1;
    this.reset('probe', next);
  }

  becomeReplicate(): void {
    this.reset('replicate', this.match + 1);
  }

  becomeSnapshot(index: number): void {
    this.reset('snapshot', this.next);
    this.pendingSnapshot = index;
  }

  private reset(state: ProgressState, next: number): void {
    this.state = state;
    this.next = next;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflight.length = 0;
    this.inflightSizes.length = 0;
    this.inflightBytes = 0;
  }

  /** Records an append just sent whose last entry is `lastIndex`, its entries `bytes` long. */
  sentAppend(lastIndex: number, entryCount: number, bytes = 0): void {
    if (this.state === 'replicate') {
      if (entryCount === 0) return;
      this.next = lastIndex + 1;
      this.inflight.push(lastIndex);
      this.inflightSizes.push(bytes);
      this.inflightBytes += bytes;
      assert(this.inflight.length <= this.inflightMax, 'in-flight window overflow');
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  /**
   * Frees the oldest in-flight slot. A heartbeat answer proves the follower is reachable, so if
   * the window is full of appends that were lost, one more may go and its rejection restarts the
   * probe (etcd does the same).
   */
  freeFirstInflight(): void {
    this.inflight.shift();
    this.inflightBytes -= this.inflightSizes.shift() ?? 0;
  }

  isInflightFull(): boolean {
    return (
      this.inflight.length >= this.inflightMax ||
      (this.inflightBytesMax > 0 && this.inflightBytes >= this.inflightBytesMax)
    );
  }

  /** A success response up to `index`. Returns false when it tells nothing new (stale). */
  maybeUpdate(index: number): boolean {
    this.probeSent = false;
    while (this.inflight.length > 0 && this.inflight[0]! <= index) this.freeFirstInflight();
    if (index <= this.match) return false;
    this.match = index;
    this.next = Math.max(this.next, index + 1);
    return true;
  }

  /**
   * A rejection of the append with prevIndex `rejected`; `hint` is where the logs may agree.
   * Returns false when the rejection is stale (an answer to an older message).
   */
  maybeDecrTo(rejected: number, hint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, hint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  toJSON(): Record<string, unknown> {
    return {
      match: this.match,
      next: this.next,
      state: this.state,
      inflight: this.inflight.length,
      inflightBytes: this.inflightBytes,
    };
  }
}
