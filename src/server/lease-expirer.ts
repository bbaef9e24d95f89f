import type { EtcdApplication, ServerOp, ServerResult } from './etcd-application.js';
import type { ServerLogger } from './logger.js';
import type { NodeRuntime } from './node.js';

/** Revocations proposed per check; the rest wait for the next check, so a burst stays bounded. */
const REVOKES_PER_CHECK_MAX = 64;

/**
 * The leader's half of leases: it alone decides that a lease expired, and proposes the revocation
 * through the log, so every replica deletes the lease's keys at the same revision. On becoming
 * leader it first extends every lease by its TTL (etcd's lessor.Promote), because the previous
 * leader's renewals may not have reached this member's clock in time.
 */
export class LeaseExpirer {
  private timer: NodeJS.Timeout | undefined;
  private wasLeader = false;
  private readonly revoking = new Set<number>();

  constructor(
    private readonly runtime: NodeRuntime<ServerOp, ServerResult>,
    private readonly app: EtcdApplication,
    private readonly logger: ServerLogger,
    private readonly checkIntervalMs: number,
    private readonly requestTimeoutMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.check(), this.checkIntervalMs);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  private check(): void {
    const isLeader = this.runtime.leader() === this.runtime.nodeId;
    if (isLeader && !this.wasLeader) this.app.leaseClock.resetAll(this.app.store.leases());
    this.wasLeader = isLeader;
    if (!isLeader) return;
    for (const id of this.app.leaseClock.expired(REVOKES_PER_CHECK_MAX)) {
      if (this.revoking.has(id)) continue;
      this.revoking.add(id);
      this.runtime
        .submit({ type: 'leaseRevoke', request: { id } }, this.requestTimeoutMs)
        .then(
          (result) => {
            if (!result.ok)
              this.app.leaseClock.forget(id); // already revoked by someone else
            else this.logger.info('lease expired', { lease: id });
          },
          (error: unknown) =>
            this.logger.warn('could not revoke an expired lease', { lease: id, error }),
        )
        .finally(() => this.revoking.delete(id));
    }
  }
}
