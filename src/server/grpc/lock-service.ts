import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { DeleteRangeResponse } from '../../storage/mvcc/index.js';
import type { EtcdContext } from './context.js';
import { headerOf, propose } from './context.js';
import { bytesField, leaseIdField } from './convert.js';
import {
  createOwnKey,
  deleteIfOwned,
  ownKey,
  recipeUnary,
  sessionLease,
  waitDeletes,
} from './recipes.js';

/**
 * etcd's v3lock Lock service: concurrency.Mutex run on the server. Lock creates `name/<lease hex>`
 * with the caller's lease and returns once it is the oldest key under `name/`; Unlock deletes
 * the key. The lock lasts as long as the key: Unlock, or the lease's expiry or revocation.
 */
export function lockService(context: EtcdContext): UntypedServiceImplementation {
  const header = (revision: number) => headerOf(context, revision);
  return {
    Lock: recipeUnary(context, 'Lock', async (message, signal) => {
      const prefix = `${bytesField(message, 'name')}/`;
      const lease = await sessionLease(context, leaseIdField(message, 'lease'));
      const key = ownKey(prefix, lease);
      const created = await createOwnKey(context, key, lease, '', prefix);
      const createRevision = created.createRevision;
      const uncontended =
        created.owner === undefined || created.owner.createRevision === createRevision;
      if (uncontended) return { header: header(created.revision), key: Buffer.from(key, 'latin1') };
      let revision: number;
      try {
        revision = await waitDeletes(context, prefix, createRevision - 1, signal);
      } catch (error) {
        // etcd's Mutex.Lock gives the key up when the wait fails (the caller went away).
        await deleteIfOwned(context, key, createRevision).catch(() => undefined);
        throw error;
      }
      return { header: header(revision), key: Buffer.from(key, 'latin1') };
    }),
    Unlock: recipeUnary(context, 'Unlock', async (message) => {
      const key = bytesField(message, 'key');
      const result = await propose(context, { type: 'deleteRange', request: { key } });
      return { header: header((result.response as DeleteRangeResponse).header.revision) };
    }),
  };
}
