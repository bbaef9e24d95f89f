import type { Bytes, LeaseInfo } from './types.js';

interface LeaseEntry {
  readonly ttl: number;
  readonly keys: Set<Bytes>;
}

/**
 * The replicated half of etcd's lessor: which leases exist (id and granted TTL) and which keys
 * each holds. Deadlines and expiry are the leader's business; it proposes revocations.
 */
export class LeaseTable {
  private readonly leases = new Map<number, LeaseEntry>();

  has(id: number): boolean {
    return this.leases.has(id);
  }

  grant(id: number, ttl: number): void {
    this.leases.set(id, { ttl, keys: new Set() });
  }

  /** Removes the lease and returns the keys it held, in byte order. */
  revoke(id: number): Bytes[] {
    const entry = this.leases.get(id);
    if (entry === undefined) return [];
    this.leases.delete(id);
    return [...entry.keys].sort();
  }

  attach(key: Bytes, id: number): void {
    if (id !== 0) this.leases.get(id)?.keys.add(key);
  }

  detach(key: Bytes, id: number): void {
    if (id !== 0) this.leases.get(id)?.keys.delete(key);
  }

  /** The keys attached to lease `id` in byte order, or undefined if there is no such lease. */
  keysOf(id: number): Bytes[] | undefined {
    const entry = this.leases.get(id);
    return entry === undefined ? undefined : [...entry.keys].sort();
  }

  get(id: number): LeaseInfo | undefined {
    const entry = this.leases.get(id);
    return entry === undefined ? undefined : { id, ttl: entry.ttl };
  }

  /** Every lease in ascending id order (deterministic for snapshots and LeaseLeases). */
  list(): LeaseInfo[] {
    return [...this.leases.entries()]
      .sort(([a], [b]) => a - b)
      .map(([id, entry]) => ({ id, ttl: entry.ttl }));
  }

  clear(): void {
    this.leases.clear();
  }
}
