import type { MvccError } from './types.js';

/**
 * etcd's client-facing errors (`api/v3rpc/rpctypes/error.go`), code and message verbatim: clients
 * match on the message text, so it must not change by a character.
 */
export const MvccErrors = {
  emptyKey: { code: 'InvalidArgument', message: 'etcdserver: key is not provided' },
  keyNotFound: { code: 'InvalidArgument', message: 'etcdserver: key not found' },
  valueProvided: { code: 'InvalidArgument', message: 'etcdserver: value is provided' },
  leaseProvided: { code: 'InvalidArgument', message: 'etcdserver: lease is provided' },
  tooManyOps: {
    code: 'InvalidArgument',
    message: 'etcdserver: too many operations in txn request',
  },
  duplicateKey: {
    code: 'InvalidArgument',
    message: 'etcdserver: duplicate key given in txn request',
  },
  invalidSortOption: { code: 'InvalidArgument', message: 'etcdserver: invalid sort option' },
  compacted: {
    code: 'OutOfRange',
    message: 'etcdserver: mvcc: required revision has been compacted',
  },
  futureRevision: {
    code: 'OutOfRange',
    message: 'etcdserver: mvcc: required revision is a future revision',
  },
  leaseNotFound: { code: 'NotFound', message: 'etcdserver: requested lease not found' },
  leaseExists: { code: 'FailedPrecondition', message: 'etcdserver: lease already exists' },
} as const satisfies Record<string, MvccError>;

/**
 * A request that is not even shaped like the message it claims to be (a number where bytes go, a
 * fraction where an int64 goes). etcd never sees these — protobuf decoding rejects them — so the
 * message is ours; the code is the one gRPC uses for undecodable input.
 */
export function malformed(what: string): MvccError {
  return { code: 'InvalidArgument', message: `etcdserver: malformed request: ${what}` };
}

/** gRPC's numeric status codes, for servers that need the number rather than the name. */
export const GRPC_STATUS_CODES = {
  InvalidArgument: 3,
  NotFound: 5,
  FailedPrecondition: 9,
  ResourceExhausted: 8,
  OutOfRange: 11,
} as const;
