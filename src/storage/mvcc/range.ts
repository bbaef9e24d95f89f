import { MvccErrors } from './errors.js';
import { toKeyValue } from './key-history.js';
import { keyRange } from './key-space.js';
import type { KeySpace } from './key-space.js';
import type {
  KeyValue,
  Outcome,
  RangeRequest,
  RangeResponse,
  SortOrder,
  SortTarget,
} from './types.js';

/**
 * etcd's rule for which revision a read sees (`rangeKeys`): 0 or less means the current one, above
 * the current one is a future revision, below the compacted one is gone. Reading exactly at the
 * compacted revision works: compaction keeps every key's version at that revision.
 */
export function readRevisionError(
  revision: number,
  currentRevision: number,
  compactedRevision: number,
): typeof MvccErrors.futureRevision | typeof MvccErrors.compacted | undefined {
  if (revision > currentRevision) return MvccErrors.futureRevision;
  if (revision > 0 && revision < compactedRevision) return MvccErrors.compacted;
  return undefined;
}

/** etcd's `rangeLimit`: sorting or filtering needs every key; otherwise one extra tells `more`. */
function fetchLimit(request: RangeRequest): number {
  const limit = request.limit ?? 0;
  const filtered =
    (request.sortOrder ?? 'NONE') !== 'NONE' ||
    (request.minModRevision ?? 0) !== 0 ||
    (request.maxModRevision ?? 0) !== 0 ||
    (request.minCreateRevision ?? 0) !== 0 ||
    (request.maxCreateRevision ?? 0) !== 0;
  if (filtered || limit <= 0) return 0;
  return limit + 1;
}

/**
 * A Range at `currentRevision` (the header's revision, whatever revision is read), with etcd's
 * order of work (`executeRange`): fetch (counting every key in range), filter by mod/create
 * revision, sort, truncate to `limit` setting `more`, then drop values for keysOnly. `count` is the
 * number of keys in range before filters and limit, as etcd reports it.
 */
export function executeRange(
  space: KeySpace,
  request: RangeRequest,
  currentRevision: number,
  compactedRevision: number,
): Outcome<RangeResponse> {
  const requested = request.revision ?? 0;
  const error = readRevisionError(requested, currentRevision, compactedRevision);
  if (error !== undefined) return { ok: false, error };
  const revision = requested <= 0 ? currentRevision : requested;
  const header = { revision: currentRevision };
  const range = keyRange(request.key, request.rangeEnd);
  const limit = fetchLimit(request);
  let count = 0;
  let kvs: KeyValue[] = [];
  const countOnly = request.countOnly === true;
  space.scanVisible(range, revision, (key, version) => {
    count++;
    if (!countOnly && (limit === 0 || kvs.length < limit)) kvs.push(toKeyValue(key, version));
  });
  if (request.countOnly === true)
    return { ok: true, response: { header, kvs: [], more: false, count } };
  kvs = kvs.filter(revisionFilter(request));
  sortKvs(kvs, request.sortOrder ?? 'NONE', request.sortTarget ?? 'KEY');
  const requestedLimit = request.limit ?? 0;
  const more = requestedLimit > 0 && kvs.length > requestedLimit;
  if (more) kvs = kvs.slice(0, requestedLimit);
  // Values go last, as in etcd: a VALUE sort of a keysOnly range still sorts by value.
  if (request.keysOnly === true) kvs = kvs.map((kv) => ({ ...kv, value: '' }));
  return { ok: true, response: { header, kvs, more, count } };
}

function revisionFilter(request: RangeRequest): (kv: KeyValue) => boolean {
  const minMod = request.minModRevision ?? 0;
  const maxMod = request.maxModRevision ?? 0;
  const minCreate = request.minCreateRevision ?? 0;
  const maxCreate = request.maxCreateRevision ?? 0;
  return (kv) =>
    (maxMod === 0 || kv.modRevision <= maxMod) &&
    (minMod === 0 || kv.modRevision >= minMod) &&
    (maxCreate === 0 || kv.createRevision <= maxCreate) &&
    (minCreate === 0 || kv.createRevision >= minCreate);
}

function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const SORT_KEYS: Record<SortTarget, (a: KeyValue, b: KeyValue) => number> = {
  KEY: (a, b) => compareBytes(a.key, b.key),
  VERSION: (a, b) => a.version - b.version,
  CREATE: (a, b) => a.createRevision - b.createRevision,
  MOD: (a, b) => a.modRevision - b.modRevision,
  VALUE: (a, b) => compareBytes(a.value, b.value),
};

/**
 * etcd's sort rules: a target other than KEY with order NONE sorts ascending; KEY ascending is
 * the fetch order already. etcd's sort is not stable; ours is, so ties stay in key order and
 * every replica answers the same.
 */
function sortKvs(kvs: KeyValue[], requestedOrder: SortOrder, target: SortTarget): void {
  let order = requestedOrder;
  if (target !== 'KEY' && order === 'NONE') order = 'ASCEND';
  else if (target === 'KEY' && order === 'ASCEND') order = 'NONE';
  if (order === 'NONE') return;
  const compare = SORT_KEYS[target];
  kvs.sort(order === 'ASCEND' ? compare : (a, b) => compare(b, a));
}
