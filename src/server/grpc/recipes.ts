import { randomInt } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import type { handleUnaryCall, sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import type {
  Bytes,
  KeyValue,
  MvccEvent,
  RangeResponse,
  TxnResponse,
} from '../../storage/mvcc/index.js';
import { prefixEnd } from '../../storage/mvcc/index.js';
import type { WatchSubscription } from '../watch-hub.js';
import type { EtcdContext } from './context.js';
import { propose, unary } from './context.js';
import type { ProtoObject } from './convert.js';
import { ApiError } from './etcd-errors.js';
import { minLeaseTtlSeconds } from './lease-service.js';

/**
 * The building blocks of etcd's `concurrency` recipes (Mutex, Election) as the v3lock and
 * v3election servers use them, run in process on the same proposals the KV and Lease handlers
 * make and on the watch hub, not through a gRPC client to ourselves.
 */

/** The default TTL of a concurrency.Session, granted when a Lock or Campaign names no lease. */
const SESSION_TTL_S = 60;

/** Thrown by waits when the caller went away. */
export class Cancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

/**
 * etcd runs Lock and Election on an in-process clientv3, whose calls turn the server's status
 * errors into rpctypes.EtcdError values; those carry no gRPC status, so grpc-go sends them as
 * UNKNOWN with the same text (etcd 3.4.23: a Lock on an unknown lease fails with code 2,
 * `etcdserver: requested lease not found`). The `hasleader` check comes before, in etcd's
 * interceptor, and keeps its UNAVAILABLE.
 */
export function asRecipeError(error: unknown): unknown {
  if (error instanceof ApiError && error.failure.code !== status.UNKNOWN)
    return new ApiError({ code: status.UNKNOWN, details: error.failure.details });
  return error;
}

/**
 * A Lock or Election handler: etcd's errors as its recipes return them (`asRecipeError`), and a
 * signal for when the client cancels (etcd cleans up on ctx.Done()).
 */
export function recipeUnary(
  context: EtcdContext,
  method: string,
  handle: (request: ProtoObject, signal: AbortSignal) => Promise<ProtoObject>,
): handleUnaryCall<ProtoObject, ProtoObject> {
  return (
    call: ServerUnaryCall<ProtoObject, ProtoObject>,
    callback: sendUnaryData<ProtoObject>,
  ) => {
    const controller = new AbortController();
    call.on('cancelled', () => controller.abort());
    unary(context, method, (request) =>
      handle(request, controller.signal).catch((error: unknown) => {
        throw asRecipeError(error);
      }),
    )(call, callback);
  };
}

/** The lease a session runs on: the caller's, or a new one (etcd's NewSession with lease 0). */
export async function sessionLease(context: EtcdContext, lease: number): Promise<number> {
  if (lease !== 0) return lease;
  const id = randomInt(1, 2 ** 47) * 64 + randomInt(0, 64);
  const ttl = Math.max(SESSION_TTL_S, minLeaseTtlSeconds(context.config.tickMs * 15));
  await propose(context, { type: 'leaseGrant', request: { id, ttl } });
  return id;
}

/** `prefix` + the lease id in lower-case hex, as Go's `fmt.Sprintf("%s%x", prefix, lease)`. */
export function ownKey(prefix: Bytes, lease: number): Bytes {
  return prefix + lease.toString(16);
}

export async function txn(
  context: EtcdContext,
  request: Parameters<typeof propose>[1] & { type: 'txn' },
): Promise<TxnResponse> {
  return (await propose(context, request)).response as TxnResponse;
}

export async function range(
  context: EtcdContext,
  request: Parameters<typeof propose>[1] & { type: 'range' },
): Promise<RangeResponse> {
  return (await propose(context, request)).response as RangeResponse;
}

/** What the first step of Mutex.Lock and Election.Campaign learnt. */
export interface OwnKey {
  /** The key's create revision: the caller's place in the queue. */
  readonly createRevision: number;
  /** The txn's revision (etcd's Campaign answers with this header). */
  readonly revision: number;
  /** The key as it was, when this lease had created it before. */
  readonly existing?: KeyValue;
  /** The oldest key under `ownerPrefix`, when asked for (Mutex.Lock's uncontended path). */
  readonly owner?: KeyValue;
}

/**
 * Creates `key` with `lease` and `value` unless it exists (then returns the existing one): the
 * first step of Mutex.Lock and Election.Campaign. With `ownerPrefix`, the same txn also reads the
 * oldest key under it, as Mutex.Lock does to finish an uncontended lock in one round.
 */
export async function createOwnKey(
  context: EtcdContext,
  key: Bytes,
  lease: number,
  value: Bytes,
  ownerPrefix?: Bytes,
): Promise<OwnKey> {
  const getOwner =
    ownerPrefix === undefined
      ? []
      : [
          {
            requestRange: {
              key: ownerPrefix,
              rangeEnd: prefixEnd(ownerPrefix),
              sortTarget: 'CREATE' as const,
              sortOrder: 'ASCEND' as const,
              limit: 1,
            },
          },
        ];
  const response = await txn(context, {
    type: 'txn',
    request: {
      compare: [{ result: 'EQUAL', target: 'CREATE', key, createRevision: 0 }],
      success: [{ requestPut: { key, value, lease } }, ...getOwner],
      failure: [{ requestRange: { key } }, ...getOwner],
    },
  });
  const revision = response.header.revision;
  const owner =
    ownerPrefix === undefined ? undefined : response.responses[1]?.responseRange?.kvs[0];
  const withOwner = owner === undefined ? {} : { owner };
  if (response.succeeded) return { createRevision: revision, revision, ...withOwner };
  const existing = response.responses[0]?.responseRange?.kvs[0];
  if (existing === undefined) throw new Error('synod: the key of a failed create is missing');
  return { createRevision: existing.createRevision, revision, existing, ...withOwner };
}

/** The key under `prefix` created first (etcd's WithFirstCreate), with the read's revision. */
export async function firstCreated(
  context: EtcdContext,
  prefix: Bytes,
): Promise<{ kv: KeyValue | undefined; revision: number }> {
  const response = await range(context, {
    type: 'range',
    request: {
      key: prefix,
      rangeEnd: prefixEnd(prefix),
      sortTarget: 'CREATE',
      sortOrder: 'ASCEND',
      limit: 1,
    },
  });
  return { kv: response.kvs[0], revision: response.header.revision };
}

/**
 * The first batch of events on [key, rangeEnd) at or after `fromRevision`, or undefined when the
 * history was compacted past it (callers read again). Rejects with Cancelled on `signal`.
 */
export function nextEvents(
  context: EtcdContext,
  key: Bytes,
  rangeEnd: Bytes,
  fromRevision: number,
  signal: AbortSignal,
): Promise<MvccEvent[] | undefined> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new Cancelled());
      return;
    }
    let done = false;
    // add may deliver (or compact) synchronously, before it returns the subscription.
    const added: { subscription?: WatchSubscription } = {};
    const finish = (outcome: () => void) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      if (added.subscription !== undefined) context.hub.remove(added.subscription);
      outcome();
    };
    const onAbort = () => finish(() => reject(new Cancelled()));
    signal.addEventListener('abort', onAbort);
    added.subscription = context.hub.add(
      {
        key,
        rangeEnd,
        prevKv: false,
        noPut: false,
        noDelete: false,
        onEvents: (events) => finish(() => resolve(events)),
        onCompacted: () => finish(() => resolve(undefined)),
      },
      fromRevision,
    );
    if (done) context.hub.remove(added.subscription);
  });
}

/** Waits until `key` is deleted at or after `fromRevision` (etcd's waitDelete). */
async function waitDelete(
  context: EtcdContext,
  key: Bytes,
  fromRevision: number,
  signal: AbortSignal,
): Promise<void> {
  let from = fromRevision;
  for (;;) {
    const events = await nextEvents(context, key, '', from, signal);
    if (events === undefined) return; // compacted: the caller reads the prefix again
    if (events.some((event) => event.type === 'DELETE')) return;
    from = Math.max(...events.map((event) => event.kv.modRevision)) + 1;
  }
}

/**
 * etcd's waitDeletes: until no key under `prefix` has a create revision <= `maxCreateRevision`,
 * wait for the newest such key (the caller's predecessor) to go. Returns the last read's revision.
 */
export async function waitDeletes(
  context: EtcdContext,
  prefix: Bytes,
  maxCreateRevision: number,
  signal: AbortSignal,
): Promise<number> {
  for (;;) {
    const response = await range(context, {
      type: 'range',
      request: {
        key: prefix,
        rangeEnd: prefixEnd(prefix),
        sortTarget: 'CREATE',
        sortOrder: 'DESCEND',
        limit: 1,
        maxCreateRevision,
      },
    });
    const last = response.kvs[0];
    if (last === undefined) return response.header.revision;
    await waitDelete(context, last.key, response.header.revision + 1, signal);
  }
}

/** Deletes `key` if it still has `createRevision` (Mutex.Unlock after a failed wait, Resign). */
export async function deleteIfOwned(
  context: EtcdContext,
  key: Bytes,
  createRevision: number,
): Promise<TxnResponse> {
  return txn(context, {
    type: 'txn',
    request: {
      compare: [{ result: 'EQUAL', target: 'CREATE', key, createRevision }],
      success: [{ requestDeleteRange: { key } }],
    },
  });
}
