import { assert } from '../../core/assert.js';
import { toKeyValue } from './key-history.js';
import { keyRange } from './key-space.js';
import type { DeleteRangeRequest, DeleteRangeResponse, PutRequest, PutResponse } from './types.js';
import type { WriteBatch } from './write-batch.js';

/**
 * etcd's `put` inside a write: ignoreValue / ignoreLease keep the key's current value / lease
 * (the caller has checked that the key exists), and prevKv returns the version it replaces.
 */
export function executePut(batch: WriteBatch, request: PutRequest): PutResponse {
  const previous = batch.current(request.key);
  const needsPrevious = request.ignoreValue === true || request.ignoreLease === true;
  // etcd would panic if a txn deleted the key (by a from-key delete, which its duplicate check
  // lets through) before an ignore* put of it; we take the value from before the txn instead.
  const source = previous ?? (needsPrevious ? batch.before(request.key) : undefined);
  assert(!needsPrevious || source !== undefined, 'ignoreValue/ignoreLease needs an existing key');
  const value = request.ignoreValue === true ? (source?.value ?? '') : (request.value ?? '');
  const lease = request.ignoreLease === true ? (source?.lease ?? 0) : (request.lease ?? 0);
  batch.put(request.key, value, lease);
  const header = { revision: batch.mainRevision };
  if (request.prevKv === true && previous !== undefined) {
    return { header, prevKv: toKeyValue(request.key, previous) };
  }
  return { header };
}

/** etcd's `deleteRange`: the header says the new revision only if something changed. */
export function executeDeleteRange(
  batch: WriteBatch,
  request: DeleteRangeRequest,
): DeleteRangeResponse {
  const deleted = batch.deleteRange(keyRange(request.key, request.rangeEnd));
  return {
    header: { revision: batch.readRevision },
    deleted: deleted.length,
    prevKvs: request.prevKv === true ? deleted : [],
  };
}
