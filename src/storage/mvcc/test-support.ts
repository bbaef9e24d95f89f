import type { MvccStore } from './store.js';
import type {
  ApplyResult,
  CommandResponse,
  DeleteRangeResponse,
  KeyValue,
  MvccCommand,
  MvccError,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
} from './types.js';

/**
 * Helpers for the tests: apply a command and unwrap its response, failing loudly on an error. No
 * test-framework import, so the production build can include this file harmlessly.
 */

function responseOf<T extends CommandResponse['type']>(result: ApplyResult, type: T) {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.error)}`);
  if (result.response.type !== type) throw new Error(`expected a ${type} response`);
  return result.response.response;
}

export function put(
  store: MvccStore,
  key: string,
  value: string,
  extra: Partial<PutRequest> = {},
): PutResponse {
  return responseOf(
    store.apply({ type: 'put', request: { key, value, ...extra } }),
    'put',
  ) as PutResponse;
}

export function del(
  store: MvccStore,
  key: string,
  rangeEnd?: string,
  prevKv = false,
): DeleteRangeResponse {
  return responseOf(
    store.apply({ type: 'deleteRange', request: { key, rangeEnd, prevKv } }),
    'deleteRange',
  ) as DeleteRangeResponse;
}

export function txn(store: MvccStore, request: TxnRequest): TxnResponse {
  return responseOf(store.apply({ type: 'txn', request }), 'txn') as TxnResponse;
}

export function range(store: MvccStore, request: RangeRequest): RangeResponse {
  const outcome = store.range(request);
  if (!outcome.ok) throw new Error(`expected success, got ${JSON.stringify(outcome.error)}`);
  return outcome.response;
}

export function get(store: MvccStore, key: string, revision = 0): KeyValue | undefined {
  return range(store, { key, revision }).kvs[0];
}

export function failure(store: MvccStore, command: MvccCommand): MvccError {
  const result = store.apply(command);
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.response)}`);
  if (result.events.length > 0) throw new Error('a failed command produced events');
  return result.error;
}

export function rangeFailure(store: MvccStore, request: RangeRequest): MvccError {
  const outcome = store.range(request);
  if (outcome.ok) throw new Error(`expected an error, got ${JSON.stringify(outcome.response)}`);
  return outcome.error;
}

export function keysOf(response: RangeResponse): string[] {
  return response.kvs.map((kv) => kv.key);
}
