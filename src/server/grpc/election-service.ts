import type { ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import type { KeyValue } from '../../storage/mvcc/index.js';
import { prefixEnd } from '../../storage/mvcc/index.js';
import type { EtcdContext } from './context.js';
import {
  failureOf,
  headerOf,
  refusedAtLearner,
  requiresLeader,
  toServiceError,
} from './context.js';
import { type ProtoObject, bytesField, fromKeyValue, intField, leaseIdField } from './convert.js';
import { ApiError, EtcdErrors, type GrpcFailure } from './etcd-errors.js';
import {
  asRecipeError,
  Cancelled,
  createOwnKey,
  deleteIfOwned,
  firstCreated,
  nextEvents,
  ownKey,
  recipeUnary,
  sessionLease,
  txn,
  waitDeletes,
} from './recipes.js';

/**
 * etcd's errors for the election API: the concurrency package's plain Go errors
 * (ErrElectionNoLeader, ErrElectionNotLeader, v3election's ErrMissingLeaderKey), which grpc-go
 * sends as UNKNOWN with the error's text.
 */
export const ElectionErrors = {
  noLeader: { code: status.UNKNOWN, details: 'election: no leader' },
  notLeader: { code: status.UNKNOWN, details: 'election: not leader' },
  missingLeaderKey: { code: status.UNKNOWN, details: '"leader" field must be provided' },
} as const satisfies Record<string, GrpcFailure>;

interface LeaderKey {
  readonly name: string;
  readonly key: string;
  readonly rev: number;
  readonly lease: number;
}

function leaderKeyField(message: ProtoObject): LeaderKey {
  const leader = message.leader;
  if (leader === undefined || leader === null || typeof leader !== 'object')
    throw new ApiError(ElectionErrors.missingLeaderKey);
  const fields = leader as ProtoObject;
  return {
    name: bytesField(fields, 'name'),
    key: bytesField(fields, 'key'),
    rev: intField(fields, 'rev'),
    lease: leaseIdField(fields, 'lease'),
  };
}

/**
 * etcd's v3election Election service: concurrency.Election run on the server. A campaigner's key
 * is `name/<lease hex>`; the leader is the key under `name/` created first, and its value is the
 * proclaimed value.
 */
export function electionService(context: EtcdContext): UntypedServiceImplementation {
  const header = (revision: number) => headerOf(context, revision);

  /** Puts `value` on the leader's key if it is still the leader's (Election.Proclaim). */
  const proclaim = async (leader: LeaderKey, value: string) => {
    const response = await txn(context, {
      type: 'txn',
      request: {
        compare: [
          { result: 'EQUAL', target: 'CREATE', key: leader.key, createRevision: leader.rev },
        ],
        success: [{ requestPut: { key: leader.key, value, lease: leader.lease } }],
      },
    });
    if (!response.succeeded) throw new ApiError(ElectionErrors.notLeader);
    return response.header.revision;
  };

  return {
    Campaign: recipeUnary(context, 'Campaign', async (message, signal) => {
      const nameBytes = bytesField(message, 'name');
      const prefix = `${nameBytes}/`;
      const value = bytesField(message, 'value');
      const lease = await sessionLease(context, leaseIdField(message, 'lease'));
      const key = ownKey(prefix, lease);
      const created = await createOwnKey(context, key, lease, value);
      const leader: LeaderKey = { name: nameBytes, key, rev: created.createRevision, lease };
      if (created.existing !== undefined && created.existing.value !== value) {
        try {
          await proclaim(leader, value);
        } catch (error) {
          await deleteIfOwned(context, key, leader.rev).catch(() => undefined);
          throw error;
        }
      }
      try {
        await waitDeletes(context, prefix, leader.rev - 1, signal);
      } catch (error) {
        if (error instanceof Cancelled)
          await deleteIfOwned(context, key, leader.rev).catch(() => undefined);
        throw error;
      }
      // etcd's Campaign answers with the header of its first txn, not of the wait.
      return {
        header: header(created.revision),
        leader: {
          name: Buffer.from(leader.name, 'latin1'),
          key: Buffer.from(leader.key, 'latin1'),
          rev: leader.rev,
          lease: leader.lease,
        },
      };
    }),
    Proclaim: recipeUnary(context, 'Proclaim', async (message) => {
      const leader = leaderKeyField(message);
      const revision = await proclaim(leader, bytesField(message, 'value'));
      return { header: header(revision) };
    }),
    Leader: recipeUnary(context, 'Leader', async (message) => {
      const { kv, revision } = await firstCreated(context, `${bytesField(message, 'name')}/`);
      if (kv === undefined) throw new ApiError(ElectionErrors.noLeader);
      return { header: header(revision), kv: fromKeyValue(kv) };
    }),
    Observe: (call: ServerWritableStream<ProtoObject, ProtoObject>) => {
      if (!refusedAtLearner(context, call)) observe(context, call);
    },
    Resign: recipeUnary(context, 'Resign', async (message) => {
      const leader = leaderKeyField(message);
      const response = await deleteIfOwned(context, leader.key, leader.rev);
      return { header: header(response.header.revision) };
    }),
  };
}

/**
 * Election.Observe: the current leader's key-value, then each change to it (a new proclaimed
 * value, or the next leader once it is deleted), until the client goes away. As etcd's, a failed
 * read ends the stream without an error (concurrency's observe closes its channel).
 */
function observe(context: EtcdContext, call: ServerWritableStream<ProtoObject, ProtoObject>): void {
  if (requiresLeader(call.metadata) && context.runtime.leader() === undefined) {
    call.emit('error', toServiceError(EtcdErrors.noLeader));
    return;
  }
  const controller = new AbortController();
  const signal = controller.signal;
  call.on('cancelled', () => controller.abort());
  call.on('error', () => controller.abort());
  let prefix: string;
  try {
    prefix = `${bytesField(call.request, 'name')}/`;
  } catch (error) {
    call.emit('error', toServiceError(failureOf(context, asRecipeError(error), 'Observe')));
    return;
  }
  const send = (kv: KeyValue, revision: number) => {
    if (signal.aborted) return;
    call.write({ header: headerOf(context, revision), kv: fromKeyValue(kv) });
  };
  const run = async () => {
    while (!signal.aborted) {
      const first = await firstCreated(context, prefix);
      let leader = first.kv;
      // etcd's header: the read's revision, or the key's own when it came from the watch.
      let revision = first.revision;
      let from = first.revision + 1;
      while (leader === undefined) {
        const events = await nextEvents(context, prefix, prefixEnd(prefix), from, signal);
        if (events === undefined) break; // compacted: read again
        leader = events.find((event) => event.type === 'PUT')?.kv;
        if (leader !== undefined) revision = leader.modRevision;
        from = Math.max(...events.map((event) => event.kv.modRevision)) + 1;
      }
      if (leader === undefined) continue;
      send(leader, revision);
      // Follow the leader's key: each put is a new value; its deletion ends the reign.
      let watchFrom = revision + 1;
      let deleted = false;
      while (!deleted) {
        const events = await nextEvents(context, leader.key, '', watchFrom, signal);
        if (events === undefined) break;
        for (const event of events) {
          if (event.type === 'DELETE') {
            deleted = true;
            break;
          }
          send(event.kv, context.hub.publishedRevision);
        }
        watchFrom = Math.max(...events.map((event) => event.kv.modRevision)) + 1;
      }
    }
  };
  run().then(
    () => undefined,
    (error: unknown) => {
      if (error instanceof Cancelled || signal.aborted) return;
      if (!(error instanceof ApiError))
        context.logger.error('handler failed', { method: 'Observe', error });
      call.end();
    },
  );
}
