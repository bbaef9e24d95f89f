/**
 * The MVCC store's requests, responses, commands and events, modelled on etcd's `rpc.proto` and
 * `kv.proto` with the same field names in camelCase.
 *
 * Keys and values are **byte strings**: JavaScript strings whose every char code is 0..255, one
 * char per byte (what Node calls `latin1`/`binary`). They compare with `<` in unsigned byte order,
 * they are cheap `Map` keys, V8 stores them one byte per char, and they survive `JSON.stringify`
 * / `JSON.parse` exactly (control bytes are escaped, 0x80..0xff become two UTF-8 bytes in the
 * JSON text and come back as one char). The server converts at the gRPC edge:
 * `buffer.toString('latin1')` and `Buffer.from(text, 'latin1')` (or `bytes.ts` in the browser).
 *
 * int64 fields (revisions, lease ids) are JavaScript numbers and must be safe integers; the
 * server chooses lease ids below 2^53.
 */

/** A byte string: one char per byte, every char code in 0..255. */
export type Bytes = string;

/** Protobuf decoders leave an unset message field undefined or null: both mean "not set". */
export function isSet<T>(value: T | null | undefined): value is T {
  return value !== undefined && value !== null;
}

/** gRPC status code names used by the KV and lease services' errors. */
export type GrpcCode =
  'InvalidArgument' | 'OutOfRange' | 'NotFound' | 'FailedPrecondition' | 'ResourceExhausted';

/** An error exactly as etcd returns it: the gRPC status code and the `etcdserver: …` message. */
export interface MvccError {
  readonly code: GrpcCode;
  readonly message: string;
}

/** `ResponseHeader`; the server fills clusterId, memberId and raftTerm. */
export interface ResponseHeader {
  readonly revision: number;
}

/** `mvccpb.KeyValue`. */
export interface KeyValue {
  readonly key: Bytes;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
  readonly value: Bytes;
  readonly lease: number;
}

export type SortOrder = 'NONE' | 'ASCEND' | 'DESCEND';
export type SortTarget = 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';

/**
 * `RangeRequest`. `rangeEnd` absent or empty: the single key `key`; `'\0'`: every key >= `key`;
 * otherwise the keys in [key, rangeEnd) (`prefixEnd(key)` gives a prefix's end).
 */
export interface RangeRequest {
  readonly key: Bytes;
  readonly rangeEnd?: Bytes;
  readonly limit?: number;
  /** 0 or absent: the current revision. */
  readonly revision?: number;
  readonly sortOrder?: SortOrder;
  readonly sortTarget?: SortTarget;
  /** The server's concern (serve locally without a read barrier); the store ignores it. */
  readonly serializable?: boolean;
  readonly keysOnly?: boolean;
  readonly countOnly?: boolean;
  readonly minModRevision?: number;
  readonly maxModRevision?: number;
  readonly minCreateRevision?: number;
  readonly maxCreateRevision?: number;
}

export interface RangeResponse {
  readonly header: ResponseHeader;
  readonly kvs: readonly KeyValue[];
  readonly more: boolean;
  readonly count: number;
}

export interface PutRequest {
  readonly key: Bytes;
  readonly value?: Bytes;
  readonly lease?: number;
  readonly prevKv?: boolean;
  readonly ignoreValue?: boolean;
  readonly ignoreLease?: boolean;
}

export interface PutResponse {
  readonly header: ResponseHeader;
  readonly prevKv?: KeyValue;
}

export interface DeleteRangeRequest {
  readonly key: Bytes;
  readonly rangeEnd?: Bytes;
  readonly prevKv?: boolean;
}

export interface DeleteRangeResponse {
  readonly header: ResponseHeader;
  readonly deleted: number;
  readonly prevKvs: readonly KeyValue[];
}

export type CompareResult = 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
export type CompareTarget = 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | 'LEASE';

/**
 * `Compare`: the field named by `target` is the operand (`version`, `createRevision`,
 * `modRevision`, `value` or `lease`); an absent operand is 0 or the empty value, as in proto3.
 */
export interface Compare {
  readonly result: CompareResult;
  readonly target: CompareTarget;
  readonly key: Bytes;
  readonly rangeEnd?: Bytes;
  readonly version?: number;
  readonly createRevision?: number;
  readonly modRevision?: number;
  readonly value?: Bytes;
  readonly lease?: number;
}

/** `RequestOp`: exactly one field is set. */
export interface RequestOp {
  readonly requestRange?: RangeRequest | null;
  readonly requestPut?: PutRequest | null;
  readonly requestDeleteRange?: DeleteRangeRequest | null;
  readonly requestTxn?: TxnRequest | null;
}

export interface TxnRequest {
  readonly compare?: readonly Compare[];
  readonly success?: readonly RequestOp[];
  readonly failure?: readonly RequestOp[];
}

/** `ResponseOp`: exactly one field is set, matching the request op. */
export interface ResponseOp {
  readonly responseRange?: RangeResponse;
  readonly responsePut?: PutResponse;
  readonly responseDeleteRange?: DeleteRangeResponse;
  readonly responseTxn?: TxnResponse;
}

export interface TxnResponse {
  readonly header: ResponseHeader;
  readonly succeeded: boolean;
  readonly responses: readonly ResponseOp[];
}

export interface CompactionRequest {
  readonly revision: number;
  /** The server's concern (wait until the compaction is durable); the store ignores it. */
  readonly physical?: boolean;
}

export interface CompactionResponse {
  readonly header: ResponseHeader;
}

/** The apply side of `LeaseGrant`: the leader chose `id` (non-zero) and `ttl` (seconds). */
export interface LeaseGrantRequest {
  readonly id: number;
  readonly ttl: number;
}

export interface LeaseGrantResponse {
  readonly header: ResponseHeader;
  readonly id: number;
  readonly ttl: number;
  readonly error: string;
}

export interface LeaseRevokeRequest {
  readonly id: number;
}

export interface LeaseRevokeResponse {
  readonly header: ResponseHeader;
}

/** A command: what travels in a log entry. Every replica applies the same ones in the same order. */
export type MvccCommand =
  | { readonly type: 'range'; readonly request: RangeRequest }
  | { readonly type: 'put'; readonly request: PutRequest }
  | { readonly type: 'deleteRange'; readonly request: DeleteRangeRequest }
  | { readonly type: 'txn'; readonly request: TxnRequest }
  | { readonly type: 'compaction'; readonly request: CompactionRequest }
  | { readonly type: 'leaseGrant'; readonly request: LeaseGrantRequest }
  | { readonly type: 'leaseRevoke'; readonly request: LeaseRevokeRequest };

export type MvccCommandType = MvccCommand['type'];

/** The response to each command type. */
export type CommandResponse =
  | { readonly type: 'range'; readonly response: RangeResponse }
  | { readonly type: 'put'; readonly response: PutResponse }
  | { readonly type: 'deleteRange'; readonly response: DeleteRangeResponse }
  | { readonly type: 'txn'; readonly response: TxnResponse }
  | { readonly type: 'compaction'; readonly response: CompactionResponse }
  | { readonly type: 'leaseGrant'; readonly response: LeaseGrantResponse }
  | { readonly type: 'leaseRevoke'; readonly response: LeaseRevokeResponse };

/**
 * A change, for watchers (`mvccpb.Event`). A DELETE's `kv` holds the key and the deleting
 * revision as `modRevision`, everything else zero, as etcd sends it. `prevKv` is the version
 * before the change when the store still has it; the server drops it unless the watch asked.
 */
export interface MvccEvent {
  readonly type: 'PUT' | 'DELETE';
  readonly kv: KeyValue;
  readonly prevKv?: KeyValue;
}

/**
 * What `apply` returns. A failed command changed nothing and produced no events. Every event of
 * one command carries the same main revision (`kv.modRevision`), in the order of the changes.
 */
export type ApplyResult =
  | { readonly ok: true; readonly response: CommandResponse; readonly events: readonly MvccEvent[] }
  | { readonly ok: false; readonly error: MvccError; readonly events: readonly MvccEvent[] };

/** A read's result: the response, or etcd's error. */
export type Outcome<R> =
  { readonly ok: true; readonly response: R } | { readonly ok: false; readonly error: MvccError };

/** `eventsSince`'s result: the events, or the compacted revision that makes them unavailable. */
export type EventsSinceResult =
  | { readonly ok: true; readonly events: readonly MvccEvent[] }
  | { readonly ok: false; readonly compactRevision: number; readonly error: MvccError };

/** Maintenance `HashKVResponse`. */
export interface HashKvResponse {
  readonly header: ResponseHeader;
  /** CRC-32C of the retained changes at or below `hashRevision`; see `MvccStore.hashKv`. */
  readonly hash: number;
  /** etcd's compactMainRev: -1 if the store was never compacted. */
  readonly compactRevision: number;
  readonly hashRevision: number;
}

/** A lease as the replicated state knows it; expiry deadlines are the leader's, not the store's. */
export interface LeaseInfo {
  readonly id: number;
  readonly ttl: number;
}
