import { isByteString } from './bytes.js';
import { malformed, MvccErrors } from './errors.js';
import { isSet } from './types.js';
import type { Bytes, MvccError } from './types.js';

/**
 * The checks etcd makes before it proposes a request (`api/v3rpc/key.go`: checkRangeRequest,
 * checkPutRequest, checkDeleteRequest, checkTxnRequest, checkIntervals), plus the shape checks that
 * protobuf decoding makes for etcd. Inputs come from the network, so every function takes
 * `unknown`, never throws, and returns etcd's error or undefined.
 */

/** etcd's `--max-txn-ops` default: the most compares, or ops in one branch, of a txn. */
export const MAX_TXN_OPS_DEFAULT = 128;
/** The most a server may allow (its --max-txn-ops); its store applies any txn up to it. */
export const MAX_TXN_OPS_LIMIT = 100_000;

const SORT_ORDERS = new Set(['NONE', 'ASCEND', 'DESCEND']);
const SORT_TARGETS = new Set(['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE']);
const COMPARE_RESULTS = new Set(['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL']);
const COMPARE_TARGETS = new Set(['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE']);
const REQUEST_OP_FIELDS = ['requestRange', 'requestPut', 'requestDeleteRange', 'requestTxn'];

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalBytes(fields: Fields, name: string): MvccError | undefined {
  const value = fields[name];
  return value === undefined || isByteString(value)
    ? undefined
    : malformed(`"${name}" must be a byte string`);
}

function optionalInteger(fields: Fields, name: string): MvccError | undefined {
  const value = fields[name];
  return value === undefined || Number.isSafeInteger(value)
    ? undefined
    : malformed(`"${name}" must be a safe integer`);
}

function optionalBoolean(fields: Fields, name: string): MvccError | undefined {
  const value = fields[name];
  return value === undefined || typeof value === 'boolean'
    ? undefined
    : malformed(`"${name}" must be a boolean`);
}

function firstError(checks: readonly (() => MvccError | undefined)[]): MvccError | undefined {
  for (const check of checks) {
    const error = check();
    if (error !== undefined) return error;
  }
  return undefined;
}

/** etcd checks an empty key first; an absent key is empty in proto3. */
function keyError(fields: Fields): MvccError | undefined {
  if (fields.key === undefined || fields.key === '') return MvccErrors.emptyKey;
  return isByteString(fields.key) ? undefined : malformed('"key" must be a byte string');
}

export function validateRangeRequest(request: unknown): MvccError | undefined {
  if (!isObject(request)) return malformed('a RangeRequest must be an object');
  return firstError([
    () => keyError(request),
    () => optionalBytes(request, 'rangeEnd'),
    () =>
      request.sortOrder === undefined || SORT_ORDERS.has(request.sortOrder as string)
        ? undefined
        : MvccErrors.invalidSortOption,
    () =>
      request.sortTarget === undefined || SORT_TARGETS.has(request.sortTarget as string)
        ? undefined
        : MvccErrors.invalidSortOption,
    ...[
      'limit',
      'revision',
      'minModRevision',
      'maxModRevision',
      'minCreateRevision',
      'maxCreateRevision',
    ].map((name) => () => optionalInteger(request, name)),
    ...['serializable', 'keysOnly', 'countOnly'].map(
      (name) => () => optionalBoolean(request, name),
    ),
  ]);
}

export function validatePutRequest(request: unknown): MvccError | undefined {
  if (!isObject(request)) return malformed('a PutRequest must be an object');
  return firstError([
    () => keyError(request),
    () => optionalBytes(request, 'value'),
    () => optionalInteger(request, 'lease'),
    ...['prevKv', 'ignoreValue', 'ignoreLease'].map((name) => () => optionalBoolean(request, name)),
    () =>
      request.ignoreValue === true && typeof request.value === 'string' && request.value !== ''
        ? MvccErrors.valueProvided
        : undefined,
    () =>
      request.ignoreLease === true && request.lease !== undefined && request.lease !== 0
        ? MvccErrors.leaseProvided
        : undefined,
  ]);
}

export function validateDeleteRangeRequest(request: unknown): MvccError | undefined {
  if (!isObject(request)) return malformed('a DeleteRangeRequest must be an object');
  return firstError([
    () => keyError(request),
    () => optionalBytes(request, 'rangeEnd'),
    () => optionalBoolean(request, 'prevKv'),
  ]);
}

function validateCompare(compare: unknown): MvccError | undefined {
  if (!isObject(compare)) return malformed('a Compare must be an object');
  return firstError([
    () => keyError(compare),
    () => optionalBytes(compare, 'rangeEnd'),
    () =>
      COMPARE_RESULTS.has(compare.result as string)
        ? undefined
        : malformed('"result" must be EQUAL, GREATER, LESS or NOT_EQUAL'),
    () =>
      COMPARE_TARGETS.has(compare.target as string)
        ? undefined
        : malformed('"target" must be VERSION, CREATE, MOD, VALUE or LEASE'),
    () => optionalBytes(compare, 'value'),
    ...['version', 'createRevision', 'modRevision', 'lease'].map(
      (name) => () => optionalInteger(compare, name),
    ),
  ]);
}

function optionalArray(fields: Fields, name: string): readonly unknown[] | MvccError {
  const value = fields[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : malformed(`"${name}" must be an array`);
}

/** checkRequestOp: an op with no request set is etcd's "key not found". */
function validateRequestOp(op: unknown, maxTxnOps: number): MvccError | undefined {
  if (!isObject(op)) return MvccErrors.keyNotFound;
  const present = REQUEST_OP_FIELDS.filter((name) => op[name] !== undefined && op[name] !== null);
  if (present.length === 0) return MvccErrors.keyNotFound;
  if (present.length > 1) return malformed('a RequestOp sets exactly one request');
  if (isSet(op.requestRange)) return validateRangeRequest(op.requestRange);
  if (isSet(op.requestPut)) return validatePutRequest(op.requestPut);
  if (isSet(op.requestDeleteRange)) return validateDeleteRangeRequest(op.requestDeleteRange);
  return checkTxnRequest(op.requestTxn, maxTxnOps);
}

/**
 * checkTxnRequest: at most `maxTxnOps` compares and at most that many ops per branch; a nested txn
 * gets what its parent left (`maxTxnOps - parentOps`), which also bounds the nesting depth.
 */
function checkTxnRequest(request: unknown, maxTxnOps: number): MvccError | undefined {
  if (!isObject(request)) return malformed('a TxnRequest must be an object');
  const lists = [
    optionalArray(request, 'compare'),
    optionalArray(request, 'success'),
    optionalArray(request, 'failure'),
  ];
  const [compares, successOps, failureOps] = lists;
  if (!Array.isArray(compares)) return compares as MvccError;
  if (!Array.isArray(successOps)) return successOps as MvccError;
  if (!Array.isArray(failureOps)) return failureOps as MvccError;
  const opCount = Math.max(compares.length, successOps.length, failureOps.length);
  if (opCount > maxTxnOps) return MvccErrors.tooManyOps;
  for (const each of compares) {
    const error = validateCompare(each);
    if (error !== undefined) return error;
  }
  for (const op of [...successOps, ...failureOps]) {
    const error = validateRequestOp(op, maxTxnOps - opCount);
    if (error !== undefined) return error;
  }
  return undefined;
}

/** Every check etcd's Txn handler makes: the sizes and shapes first, then the duplicate keys. */
export function validateTxnRequest(
  request: unknown,
  maxTxnOps = MAX_TXN_OPS_DEFAULT,
): MvccError | undefined {
  const error = checkTxnRequest(request, maxTxnOps);
  if (error !== undefined) return error;
  const txn = request as {
    success?: readonly RequestOpShape[];
    failure?: readonly RequestOpShape[];
  };
  if (checkIntervals(txn.success ?? []) === undefined) return MvccErrors.duplicateKey;
  if (checkIntervals(txn.failure ?? []) === undefined) return MvccErrors.duplicateKey;
  return undefined;
}

interface RequestOpShape {
  readonly requestPut?: { readonly key: Bytes } | null;
  readonly requestDeleteRange?: { readonly key: Bytes; readonly rangeEnd?: Bytes } | null;
  readonly requestTxn?: {
    readonly success?: readonly RequestOpShape[];
    readonly failure?: readonly RequestOpShape[];
  } | null;
}

/** A deleted interval [start, end); a single key k is [k, k + '\0'), as etcd's affine point. */
interface Interval {
  readonly start: Bytes;
  readonly end: Bytes;
}

function intersects(intervals: readonly Interval[], key: Bytes): boolean {
  return intervals.some((interval) => interval.start <= key && key < interval.end);
}

/**
 * checkIntervals: within one branch no key may be put twice, nor put and deleted, counting the
 * branches of nested txns (a key put in both the then and the else branch of one nested txn is
 * fine: only one runs). Returns this level's puts and deletes, or undefined on a duplicate.
 *
 * As in etcd, a delete whose rangeEnd is '\0' (every key from `key` on) becomes the empty interval
 * [key, '\0') here, so it never conflicts; the store copes with the key changing twice.
 */
function checkIntervals(
  ops: readonly RequestOpShape[],
): { puts: Set<Bytes>; dels: Interval[] } | undefined {
  const dels: Interval[] = [];
  for (const op of ops) {
    const request = op.requestDeleteRange;
    if (!isSet(request)) continue;
    const rangeEnd = request.rangeEnd ?? '';
    dels.push({ start: request.key, end: rangeEnd !== '' ? rangeEnd : `${request.key}\0` });
  }
  const puts = new Set<Bytes>();
  for (const op of ops) {
    if (!isSet(op.requestTxn)) continue;
    const then = checkIntervals(op.requestTxn.success ?? []);
    const otherwise = checkIntervals(op.requestTxn.failure ?? []);
    if (then === undefined || otherwise === undefined) return undefined;
    for (const key of then.puts) {
      if (puts.has(key) || intersects(dels, key)) return undefined;
      puts.add(key);
    }
    for (const key of otherwise.puts) {
      if (puts.has(key) && !then.puts.has(key)) return undefined;
      if (intersects(dels, key)) return undefined;
      puts.add(key);
    }
    dels.push(...then.dels, ...otherwise.dels);
  }
  for (const op of ops) {
    if (!isSet(op.requestPut)) continue;
    const key = op.requestPut.key;
    if (puts.has(key) || intersects(dels, key)) return undefined;
    puts.add(key);
  }
  return { puts, dels };
}

export function validateCompactionRequest(request: unknown): MvccError | undefined {
  if (!isObject(request)) return malformed('a CompactionRequest must be an object');
  return firstError([
    () =>
      Number.isSafeInteger(request.revision)
        ? undefined
        : malformed('"revision" must be a safe integer'),
    () => optionalBoolean(request, 'physical'),
  ]);
}

export function validateLeaseGrantRequest(request: unknown): MvccError | undefined {
  if (!isObject(request)) return malformed('a LeaseGrant must be an object');
  if (!Number.isSafeInteger(request.id)) return malformed('"id" must be a safe integer');
  if (!Number.isSafeInteger(request.ttl)) return malformed('"ttl" must be a safe integer');
  return undefined;
}

export function validateLeaseRevokeRequest(request: unknown): MvccError | undefined {
  if (!isObject(request)) return malformed('a LeaseRevoke must be an object');
  return Number.isSafeInteger(request.id) ? undefined : malformed('"id" must be a safe integer');
}

/**
 * Validates a whole command: the server calls it before proposing, and `apply` calls it again so
 * that a replica never applies a malformed entry, whoever proposed it.
 */
export function validateCommand(
  command: unknown,
  maxTxnOps = MAX_TXN_OPS_DEFAULT,
): MvccError | undefined {
  if (!isObject(command)) return malformed('a command must be an object');
  const request = command.request;
  switch (command.type) {
    case 'range':
      return validateRangeRequest(request);
    case 'put':
      return validatePutRequest(request);
    case 'deleteRange':
      return validateDeleteRangeRequest(request);
    case 'txn':
      return validateTxnRequest(request, maxTxnOps);
    case 'compaction':
      return validateCompactionRequest(request);
    case 'leaseGrant':
      return validateLeaseGrantRequest(request);
    case 'leaseRevoke':
      return validateLeaseRevokeRequest(request);
    default:
      return malformed(`unknown command type ${JSON.stringify(command.type) ?? 'undefined'}`);
  }
}
