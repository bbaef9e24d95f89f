import { assert } from '../core/assert.js';

/**
 * Lease deadlines on this member's clock. The replicated state (MvccStore) knows which leases exist
 * and their TTLs; when each expires is local time, kept on every member from the grants and
 * renewals it applies, so any member can answer TimeToLive. Only the leader acts on expiry (it
 * proposes the revocation through the log), and a new leader first extends every lease by its
 * full TTL, as etcd's lessor does on promotion, so a leader change never expires a lease early.
 */
export class LeaseClock {
  private readonly deadlinesMs = new Map<number, number>();

  constructor(private readonly nowMs: () => number) {}

  renew(id: number, ttlSeconds: number): void {
    assert(Number.isSafeInteger(id) && id !== 0, `bad lease id ${id}`);
    this.deadlinesMs.set(id, this.nowMs() + ttlSeconds * 1000);
  }

  forget(id: number): void {
    this.deadlinesMs.delete(id);
  }

  /** Every lease's deadline becomes now + its TTL (a new leader; a restored snapshot). */
  resetAll(leases: readonly { readonly id: number; readonly ttl: number }[]): void {
    this.deadlinesMs.clear();
    for (const lease of leases) this.renew(lease.id, lease.ttl);
  }

  /** Seconds left, rounded up (etcd's TTL field); -1 once expired or unknown. */
  remainingSeconds(id: number): number {
    const deadline = this.deadlinesMs.get(id);
    if (deadline === undefined) return -1;
    const leftMs = deadline - this.nowMs();
    return leftMs <= 0 ? -1 : Math.ceil(leftMs / 1000);
  }

  /** Leases whose deadline has passed, oldest first, at most `limit`. */
  expired(limit: number): number[] {
    const now = this.nowMs();
    const found: [number, number][] = [];
    for (const [id, deadline] of this.deadlinesMs) if (deadline <= now) found.push([id, deadline]);
    found.sort((a, b) => a[1] - b[1]);
    return found.slice(0, limit).map(([id]) => id);
  }
}
