import type {
  Compare,
  CompareResult,
  CompareTarget,
  DeleteRangeRequest,
  DeleteRangeResponse,
  KeyValue,
  MvccEvent,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseOp,
  SortOrder,
  SortTarget,
  TxnRequest,
  TxnResponse,
} from '../../storage/mvcc/index.js';
import { MvccErrors } from '../../storage/mvcc/index.js';
import { ApiError, fromMvccError } from './etcd-errors.js';

/**
 * Conversions at the gRPC edge. proto-loader decodes with `keepCase`, `longs: String`,
 * `enums: String`, `defaults` and `oneofs`, so a request arrives as snake_case fields, int64 as
 * decimal strings, bytes as Buffers; the MVCC store speaks camelCase, safe-integer numbers and byte
 * strings (latin1). Anything not of the expected shape is refused with InvalidArgument.
 */
export type ProtoObject = Record<string, unknown>;

/** Nested txns deeper than this are refused (etcd bounds them only by the 128-op limit). */
const TXN_DEPTH_MAX = 32;

function malformed(what: string): ApiError {
  return new ApiError(
    fromMvccError({ code: 'InvalidArgument', message: `etcdserver: malformed request: ${what}` }),
  );
}

export function bytesField(message: ProtoObject, field: string): string {
  const value = message[field];
  if (value === undefined || value === null) return '';
  if (!(value instanceof Uint8Array)) throw malformed(`"${field}" must be bytes`);
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1');
}

/** An int64 field (a decimal string); values beyond 2^53 are refused. */
export function intField(message: ProtoObject, field: string): number {
  const value = message[field];
  if (value === undefined || value === null || value === '') return 0;
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(number)) throw malformed(`"${field}" is out of range`);
  return number;
}

/** A lease id: ids Synod never issues (beyond 2^53) are simply not found, as etcd says of unknown ids. */
export function leaseIdField(message: ProtoObject, field: string): number {
  const value = message[field];
  const number = typeof value === 'number' ? value : Number(value ?? 0);
  if (!Number.isSafeInteger(number)) throw new ApiError(fromMvccError(MvccErrors.leaseNotFound));
  return number;
}

export function boolField(message: ProtoObject, field: string): boolean {
  return message[field] === true;
}

function enumField<T extends string>(message: ProtoObject, field: string, known: readonly T[]): T {
  const value = message[field] ?? known[0];
  if (!known.includes(value as T)) throw malformed(`"${field}" has an unknown value`);
  return value as T;
}

function optionalEnd(message: ProtoObject): string | undefined {
  const end = bytesField(message, 'range_end');
  return end === '' ? undefined : end;
}

export function toRangeRequest(message: ProtoObject): RangeRequest {
  return {
    key: bytesField(message, 'key'),
    rangeEnd: optionalEnd(message),
    limit: intField(message, 'limit'),
    revision: intField(message, 'revision'),
    sortOrder: enumField<SortOrder>(message, 'sort_order', ['NONE', 'ASCEND', 'DESCEND']),
    sortTarget: enumField<SortTarget>(message, 'sort_target', [
      'KEY',
      'VERSION',
      'CREATE',
      'MOD',
      'VALUE',
    ]),
    serializable: boolField(message, 'serializable'),
    keysOnly: boolField(message, 'keys_only'),
    countOnly: boolField(message, 'count_only'),
    minModRevision: intField(message, 'min_mod_revision'),
    maxModRevision: intField(message, 'max_mod_revision'),
    minCreateRevision: intField(message, 'min_create_revision'),
    maxCreateRevision: intField(message, 'max_create_revision'),
  };
}

export function toPutRequest(message: ProtoObject): PutRequest {
  return {
    key: bytesField(message, 'key'),
    value: bytesField(message, 'value'),
    lease: leaseIdField(message, 'lease'),
    prevKv: boolField(message, 'prev_kv'),
    ignoreValue: boolField(message, 'ignore_value'),
    ignoreLease: boolField(message, 'ignore_lease'),
  };
}

export function toDeleteRangeRequest(message: ProtoObject): DeleteRangeRequest {
  return {
    key: bytesField(message, 'key'),
    rangeEnd: optionalEnd(message),
    prevKv: boolField(message, 'prev_kv'),
  };
}

function toCompare(message: ProtoObject): Compare {
  const compare: Compare = {
    result: enumField<CompareResult>(message, 'result', ['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL']),
    target: enumField<CompareTarget>(message, 'target', [
      'VERSION',
      'CREATE',
      'MOD',
      'VALUE',
      'LEASE',
    ]),
    key: bytesField(message, 'key'),
    rangeEnd: optionalEnd(message),
    version: intField(message, 'version'),
    createRevision: intField(message, 'create_revision'),
    modRevision: intField(message, 'mod_revision'),
    value: bytesField(message, 'value'),
    lease: intField(message, 'lease'),
  };
  return compare;
}

function toRequestOp(message: ProtoObject, depth: number): RequestOp {
  const which = message.request;
  const inner = (which === undefined ? undefined : message[which as string]) as
    ProtoObject | undefined;
  if (inner === undefined || inner === null) throw malformed('a txn operation sets no request');
  switch (which) {
    case 'request_range':
      return { requestRange: toRangeRequest(inner) };
    case 'request_put':
      return { requestPut: toPutRequest(inner) };
    case 'request_delete_range':
      return { requestDeleteRange: toDeleteRangeRequest(inner) };
    case 'request_txn':
      return { requestTxn: toTxnRequest(inner, depth + 1) };
    default:
      throw malformed(`unknown txn operation ${String(which)}`);
  }
}

function list(message: ProtoObject, field: string): ProtoObject[] {
  const value = message[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw malformed(`"${field}" must be a list`);
  return value as ProtoObject[];
}

export function toTxnRequest(message: ProtoObject, depth = 0): TxnRequest {
  if (depth > TXN_DEPTH_MAX) throw malformed(`txns nested deeper than ${TXN_DEPTH_MAX}`);
  return {
    compare: list(message, 'compare').map(toCompare),
    success: list(message, 'success').map((op) => toRequestOp(op, depth)),
    failure: list(message, 'failure').map((op) => toRequestOp(op, depth)),
  };
}

// ------------------------------------------------------------------ responses

export type HeaderOf = (revision: number) => ProtoObject;

export function fromKeyValue(kv: KeyValue): ProtoObject {
  return {
    key: Buffer.from(kv.key, 'latin1'),
    create_revision: kv.createRevision,
    mod_revision: kv.modRevision,
    version: kv.version,
    value: Buffer.from(kv.value, 'latin1'),
    lease: kv.lease,
  };
}

export function fromEvent(event: MvccEvent): ProtoObject {
  const converted: ProtoObject = { type: event.type, kv: fromKeyValue(event.kv) };
  if (event.prevKv !== undefined) converted.prev_kv = fromKeyValue(event.prevKv);
  return converted;
}

export function fromRangeResponse(response: RangeResponse, header: HeaderOf): ProtoObject {
  return {
    header: header(response.header.revision),
    kvs: response.kvs.map(fromKeyValue),
    more: response.more,
    count: response.count,
  };
}

export function fromPutResponse(response: PutResponse, header: HeaderOf): ProtoObject {
  const converted: ProtoObject = { header: header(response.header.revision) };
  if (response.prevKv !== undefined) converted.prev_kv = fromKeyValue(response.prevKv);
  return converted;
}

export function fromDeleteRangeResponse(
  response: DeleteRangeResponse,
  header: HeaderOf,
): ProtoObject {
  return {
    header: header(response.header.revision),
    deleted: response.deleted,
    prev_kvs: response.prevKvs.map(fromKeyValue),
  };
}

function fromResponseOp(op: ResponseOp, header: HeaderOf): ProtoObject {
  if (op.responseRange !== undefined)
    return { response_range: fromRangeResponse(op.responseRange, header) };
  if (op.responsePut !== undefined)
    return { response_put: fromPutResponse(op.responsePut, header) };
  if (op.responseDeleteRange !== undefined)
    return { response_delete_range: fromDeleteRangeResponse(op.responseDeleteRange, header) };
  if (op.responseTxn !== undefined)
    return { response_txn: fromTxnResponse(op.responseTxn, header) };
  return {};
}

/**
 * etcd fills only the revision of the headers inside a txn (a nested txn's stays 0); the member,
 * cluster and term go on the outer header alone, and etcdctl's `txn -w json` shows the difference.
 */
const innerHeader: HeaderOf = (revision) => ({ revision });

export function fromTxnResponse(response: TxnResponse, header: HeaderOf): ProtoObject {
  return {
    header: header(response.header.revision),
    succeeded: response.succeeded,
    responses: response.responses.map((op) => fromResponseOp(op, innerHeader)),
  };
}
