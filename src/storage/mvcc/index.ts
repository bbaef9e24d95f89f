/**
 * The MVCC store: etcd's v3 key-value semantics (revisions, compaction, txns, leases, watch events)
 * as a deterministic replicated state machine. See docs/mvcc.md.
 */
export { MvccStore } from './store.js';
export type { MvccStoreOptions } from './store.js';
export type { MvccSnapshot, MvccSnapshotReader, SnapshotRecord } from './snapshot.js';
export {
  MAX_TXN_OPS_DEFAULT,
  MAX_TXN_OPS_LIMIT,
  validateCommand,
  validateCompactionRequest,
  validateDeleteRangeRequest,
  validateLeaseGrantRequest,
  validateLeaseRevokeRequest,
  validatePutRequest,
  validateRangeRequest,
  validateTxnRequest,
} from './validate.js';
export { GRPC_STATUS_CODES, MvccErrors } from './errors.js';
export { byteStringToBytes, bytesToByteString, isByteString, prefixEnd, utf8 } from './bytes.js';
export { isSet } from './types.js';
export type * from './types.js';
