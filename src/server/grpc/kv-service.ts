import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type {
  DeleteRangeResponse,
  PutResponse,
  RangeResponse,
  TxnResponse,
} from '../../storage/mvcc/index.js';
import {
  validateCompactionRequest,
  validateDeleteRangeRequest,
  validatePutRequest,
  validateRangeRequest,
  validateTxnRequest,
} from '../../storage/mvcc/index.js';
import type { MvccError } from '../../storage/mvcc/index.js';
import type { EtcdContext } from './context.js';
import { headerOf, propose, unary } from './context.js';
import {
  type ProtoObject,
  boolField,
  fromDeleteRangeResponse,
  fromPutResponse,
  fromRangeResponse,
  fromTxnResponse,
  intField,
  toDeleteRangeRequest,
  toPutRequest,
  toRangeRequest,
  toTxnRequest,
} from './convert.js';
import { ApiError, fromMvccError } from './etcd-errors.js';

/** Requests that fail validation are refused here, before anything is proposed. */
function refuse(error: MvccError | undefined): void {
  if (error !== undefined) throw new ApiError(fromMvccError(error));
}

/**
 * etcd's KV service. Writes and txns go through the log; a Range is linearizable (a read barrier,
 * etcd's ReadIndex) unless `serializable`, which this member answers from its own state.
 */
export function kvService(context: EtcdContext): UntypedServiceImplementation {
  const header = (revision: number) => headerOf(context, revision);
  return {
    Range: unary(context, 'Range', async (message) => {
      const request = toRangeRequest(message);
      refuse(validateRangeRequest(request));
      if (request.serializable === true) {
        const outcome = context.app.store.range(request);
        if (!outcome.ok) throw new ApiError(fromMvccError(outcome.error));
        return fromRangeResponse(outcome.response, header);
      }
      const result = await propose(context, { type: 'range', request });
      return fromRangeResponse(result.response as RangeResponse, header);
    }),
    Put: unary(context, 'Put', async (message) => {
      const request = toPutRequest(message);
      refuse(validatePutRequest(request));
      const result = await propose(context, { type: 'put', request });
      return fromPutResponse(result.response as PutResponse, header);
    }),
    DeleteRange: unary(context, 'DeleteRange', async (message) => {
      const request = toDeleteRangeRequest(message);
      refuse(validateDeleteRangeRequest(request));
      const result = await propose(context, { type: 'deleteRange', request });
      return fromDeleteRangeResponse(result.response as DeleteRangeResponse, header);
    }),
    Txn: unary(context, 'Txn', async (message) => {
      const request = toTxnRequest(message);
      refuse(validateTxnRequest(request, context.config.maxTxnOps));
      const result = await propose(context, { type: 'txn', request });
      return fromTxnResponse(result.response as TxnResponse, header);
    }),
    Compact: unary(context, 'Compact', async (message: ProtoObject) => {
      const request = {
        revision: intField(message, 'revision'),
        physical: boolField(message, 'physical'),
      };
      refuse(validateCompactionRequest(request));
      const result = await propose(context, { type: 'compaction', request });
      return { header: header(result.revision) };
    }),
  };
}
