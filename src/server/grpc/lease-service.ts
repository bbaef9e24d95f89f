import { randomInt } from 'node:crypto';
import type { ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EtcdContext } from './context.js';
import { catchUp, failureOf, headerOf, propose, refusedAtLearner, unary } from './context.js';
import { type ProtoObject, boolField, intField, leaseIdField } from './convert.js';
import { ApiError, EtcdErrors } from './etcd-errors.js';

/** etcd's MaxLeaseTTL: 9,000,000,000 seconds. */
const LEASE_TTL_MAX_S = 9_000_000_000;
/** Keep-alive requests in flight per stream; beyond it the client is not reading its answers. */
const KEEPALIVES_IN_FLIGHT_MAX = 1024;

/**
 * etcd's minimum lease TTL, ceil(1.5 election timeouts) in seconds: a lease must outlive the
 * election that may follow a leader's failure, or it would expire during it.
 */
export function minLeaseTtlSeconds(electionTimeoutMs: number): number {
  return Math.max(1, Math.ceil((1.5 * electionTimeoutMs) / 1000));
}

/**
 * etcd's Lease service. Grants, revocations and keep-alives go through the log, so every member's
 * lease clock hears of them; the leader alone decides expiry (see LeaseExpirer).
 */
export function leaseService(context: EtcdContext): UntypedServiceImplementation {
  const header = (revision: number) => headerOf(context, revision);
  const minTtl = minLeaseTtlSeconds(context.config.electionTimeoutMs);
  return {
    LeaseGrant: unary(context, 'LeaseGrant', async (message) => {
      const requested = intField(message, 'TTL');
      if (requested > LEASE_TTL_MAX_S) throw new ApiError(EtcdErrors.leaseTtlTooLarge);
      const ttl = Math.max(requested, minTtl);
      let id = leaseIdField(message, 'ID');
      // Ids below 2^53, so they stay exact in JavaScript numbers and in JSON.
      if (id === 0) id = randomInt(1, 2 ** 47) * 64 + randomInt(0, 64);
      const result = await propose(context, { type: 'leaseGrant', request: { id, ttl } });
      return { header: header(result.revision), ID: id, TTL: ttl, error: '' };
    }),
    LeaseRevoke: unary(context, 'LeaseRevoke', async (message) => {
      const id = leaseIdField(message, 'ID');
      const result = await propose(context, { type: 'leaseRevoke', request: { id } });
      return { header: header(result.revision) };
    }),
    LeaseTimeToLive: unary(context, 'LeaseTimeToLive', async (message) => {
      const id = leaseIdField(message, 'ID');
      await catchUp(context);
      const store = context.app.store;
      const lease = store.lease(id);
      const revision = store.currentRevision;
      // etcd answers an unknown lease with TTL -1, not an error.
      if (lease === undefined) return { header: header(revision), ID: id, TTL: -1 };
      const keys = boolField(message, 'keys')
        ? (store.leaseKeys(id) ?? []).map((key) => Buffer.from(key, 'latin1'))
        : [];
      return {
        header: header(revision),
        ID: id,
        TTL: context.app.leaseClock.remainingSeconds(id),
        grantedTTL: lease.ttl,
        keys,
      };
    }),
    LeaseLeases: unary(context, 'LeaseLeases', async () => {
      await catchUp(context);
      const store = context.app.store;
      return {
        header: header(store.currentRevision),
        leases: store.leases().map((lease) => ({ ID: lease.id })),
      };
    }),
    LeaseKeepAlive: (call: ServerDuplexStream<ProtoObject, ProtoObject>) => {
      if (!refusedAtLearner(context, call)) keepAliveStream(context, call);
    },
  };
}

/** Answers keep-alives one at a time, in the order they came, as etcd's stream does. */
function keepAliveStream(
  context: EtcdContext,
  call: ServerDuplexStream<ProtoObject, ProtoObject>,
): void {
  let queued = 0;
  let chain: Promise<void> = Promise.resolve();
  let ended = false;
  const finish = (error?: unknown) => {
    if (ended) return;
    ended = true;
    if (error === undefined) call.end();
    else call.emit('error', failureOf(context, error, 'LeaseKeepAlive'));
  };
  call.on('data', (message: ProtoObject) => {
    if (ended) return;
    if (queued >= KEEPALIVES_IN_FLIGHT_MAX) {
      finish(new ApiError(EtcdErrors.tooManyRequests));
      return;
    }
    let id: number;
    try {
      id = leaseIdField(message, 'ID');
    } catch {
      id = -1; // never issued: answered as an unknown lease below
    }
    queued++;
    chain = chain.then(async () => {
      try {
        const ttl = await renew(context, id);
        const revision = context.app.store.currentRevision;
        if (!ended) call.write({ header: headerOf(context, revision), ID: id, TTL: ttl });
      } catch (error) {
        finish(error);
      } finally {
        queued--;
      }
    });
  });
  call.on('end', () => void chain.then(() => finish()));
  call.on('error', () => {
    ended = true;
  });
  call.on('cancelled', () => {
    ended = true;
  });
}

/** The TTL after renewal, or 0 for an unknown lease (etcd's answer to a keep-alive of one). */
async function renew(context: EtcdContext, id: number): Promise<number> {
  // Through the log even when this member does not know the lease yet: it may not have applied
  // the grant that another member already answered. The log orders the renewal after the grant.
  if (id <= 0) return 0;
  try {
    const result = await propose(context, { type: 'leaseRenew', request: { id } });
    return (result.response as { ttl: number }).ttl;
  } catch (error) {
    if (error instanceof ApiError && error.failure.details === EtcdErrors.leaseNotFound.details)
      return 0;
    throw error;
  }
}
