import { assert } from '../../core/assert.js';
import { MvccErrors } from './errors.js';
import { toKeyValue } from './key-history.js';
import { keyRange } from './key-space.js';
import type { KeySpace } from './key-space.js';
import type { LeaseTable } from './lease-table.js';
import { executeRange } from './range.js';
import { isSet } from './types.js';
import type {
  Bytes,
  Compare,
  KeyValue,
  MvccError,
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from './types.js';
import type { WriteBatch } from './write-batch.js';
import { executeDeleteRange, executePut } from './write-ops.js';

/**
 * A txn with every branch decided: etcd evaluates the compares of the txn and of every nested txn
 * on the chosen path before any op runs (`compareToPath`), so a nested compare sees the state
 * before the txn, not the outer txn's writes.
 */
interface TxnPlan {
  readonly succeeded: boolean;
  readonly ops: readonly RequestOp[];
  /** The plan of each nested txn, by its position in `ops`. */
  readonly nested: ReadonlyMap<number, TxnPlan>;
}

export function planTxn(space: KeySpace, request: TxnRequest, revision: number): TxnPlan {
  const succeeded = (request.compare ?? []).every((compare) =>
    applyCompare(space, compare, revision),
  );
  const ops = (succeeded ? request.success : request.failure) ?? [];
  const nested = new Map<number, TxnPlan>();
  ops.forEach((op, index) => {
    if (isSet(op.requestTxn)) nested.set(index, planTxn(space, op.requestTxn, revision));
  });
  return { succeeded, ops, nested };
}

/** etcd's `applyCompare`: every key of the range must pass; no key passes only for non-VALUE targets, as a zero KeyValue. */
function applyCompare(space: KeySpace, compare: Compare, revision: number): boolean {
  let found = false;
  let holds = true;
  space.scanVisible(keyRange(compare.key, compare.rangeEnd), revision, (key, version) => {
    found = true;
    holds = compareKv(compare, toKeyValue(key, version));
    return holds;
  });
  if (!holds) return false;
  if (found) return true;
  if (compare.target === 'VALUE') return false;
  return compareKv(compare, {
    key: compare.key,
    createRevision: 0,
    modRevision: 0,
    version: 0,
    value: '',
    lease: 0,
  });
}

function sign(a: number | Bytes, b: number | Bytes): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareKv(compare: Compare, kv: KeyValue): boolean {
  let order: number;
  switch (compare.target) {
    case 'VALUE':
      order = sign(kv.value, compare.value ?? '');
      break;
    case 'CREATE':
      order = sign(kv.createRevision, compare.createRevision ?? 0);
      break;
    case 'MOD':
      order = sign(kv.modRevision, compare.modRevision ?? 0);
      break;
    case 'VERSION':
      order = sign(kv.version, compare.version ?? 0);
      break;
    case 'LEASE':
      order = sign(kv.lease, compare.lease ?? 0);
      break;
  }
  switch (compare.result) {
    case 'EQUAL':
      return order === 0;
    case 'NOT_EQUAL':
      return order !== 0;
    case 'GREATER':
      return order > 0;
    case 'LESS':
      return order < 0;
  }
}

function* planOps(plan: TxnPlan): Generator<RequestOp> {
  for (const [index, op] of plan.ops.entries()) {
    const nested = plan.nested.get(index);
    if (nested !== undefined) yield* planOps(nested);
    else yield op;
  }
}

export function isWriteTxn(request: TxnRequest): boolean {
  for (const op of [...(request.success ?? []), ...(request.failure ?? [])]) {
    if (isSet(op.requestPut) || isSet(op.requestDeleteRange)) return true;
    if (isSet(op.requestTxn) && isWriteTxn(op.requestTxn)) return true;
  }
  return false;
}

/**
 * etcd's `checkTxn` on the chosen path, before anything changes, so a txn fails whole or not at
 * all: for a write txn first every put (an ignore* put needs the key, a lease must exist), then
 * every range's revision. Note etcd's quirk, kept: a negative revision in a txn's range is "compacted".
 */
export function checkTxnPlan(
  plan: TxnPlan,
  batch: WriteBatch,
  leases: LeaseTable,
  compactedRevision: number,
  isWrite: boolean,
): MvccError | undefined {
  if (isWrite) {
    for (const op of planOps(plan)) {
      const put = op.requestPut;
      if (!isSet(put)) continue;
      if (
        (put.ignoreValue === true || put.ignoreLease === true) &&
        batch.before(put.key) === undefined
      ) {
        return MvccErrors.keyNotFound;
      }
      if ((put.lease ?? 0) !== 0 && !leases.has(put.lease ?? 0)) return MvccErrors.leaseNotFound;
    }
  }
  for (const op of planOps(plan)) {
    const revision = op.requestRange?.revision ?? 0;
    if (!isSet(op.requestRange) || revision === 0) continue;
    if (revision > batch.beginRevision) return MvccErrors.futureRevision;
    if (revision < compactedRevision) return MvccErrors.compacted;
  }
  return undefined;
}

/**
 * Runs the chosen ops in order; reads see the txn's earlier writes. A nested txn's header has
 * revision 0: etcd fills only the outermost header.
 */
export function executeTxnPlan(
  plan: TxnPlan,
  batch: WriteBatch,
  space: KeySpace,
  compactedRevision: number,
): TxnResponse {
  const responses: ResponseOp[] = plan.ops.map((op, index): ResponseOp => {
    const nested = plan.nested.get(index);
    if (nested !== undefined) {
      return { responseTxn: executeTxnPlan(nested, batch, space, compactedRevision) };
    }
    if (isSet(op.requestPut)) return { responsePut: executePut(batch, op.requestPut) };
    if (isSet(op.requestDeleteRange)) {
      return { responseDeleteRange: executeDeleteRange(batch, op.requestDeleteRange) };
    }
    assert(isSet(op.requestRange), 'a validated RequestOp sets one request');
    const outcome = executeRange(space, op.requestRange, batch.readRevision, compactedRevision);
    assert(outcome.ok, 'a txn range was checked before the txn ran');
    return { responseRange: outcome.response };
  });
  return { header: { revision: 0 }, succeeded: plan.succeeded, responses };
}
