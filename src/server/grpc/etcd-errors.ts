import { status } from '@grpc/grpc-js';
import type { MvccError } from '../../storage/mvcc/index.js';
import type { RequestError } from '../request-error.js';

/** An error as a gRPC handler returns it: a status code and etcd's exact message. */
export interface GrpcFailure {
  readonly code: status;
  readonly details: string;
}

/** etcd's server-side errors (api/v3rpc/rpctypes/error.go), code and message verbatim. */
export const EtcdErrors = {
  noLeader: { code: status.UNAVAILABLE, details: 'etcdserver: no leader' },
  timeout: { code: status.UNAVAILABLE, details: 'etcdserver: request timed out' },
  timeoutDueToLeaderFail: {
    code: status.UNAVAILABLE,
    details: 'etcdserver: request timed out, possibly due to previous leader failure',
  },
  stopped: { code: status.UNAVAILABLE, details: 'etcdserver: server stopped' },
  tooManyRequests: { code: status.RESOURCE_EXHAUSTED, details: 'etcdserver: too many requests' },
  notLeader: { code: status.FAILED_PRECONDITION, details: 'etcdserver: not leader' },
  badLeaderTransferee: {
    code: status.FAILED_PRECONDITION,
    details: 'etcdserver: bad leader transferee',
  },
  requestTooLarge: { code: status.INVALID_ARGUMENT, details: 'etcdserver: request is too large' },
  leaseNotFound: { code: status.NOT_FOUND, details: 'etcdserver: requested lease not found' },
  leaseTtlTooLarge: { code: status.OUT_OF_RANGE, details: 'etcdserver: too large lease TTL' },
  memberNotFound: { code: status.NOT_FOUND, details: 'etcdserver: member not found' },
  notCapable: { code: status.UNAVAILABLE, details: 'etcdserver: not capable' },
  notSupportedForLearner: {
    code: status.UNAVAILABLE,
    details: 'etcdserver: rpc not supported for learner',
  },
} as const satisfies Record<string, GrpcFailure>;

const CODE_BY_NAME: Record<MvccError['code'], status> = {
  InvalidArgument: status.INVALID_ARGUMENT,
  OutOfRange: status.OUT_OF_RANGE,
  NotFound: status.NOT_FOUND,
  FailedPrecondition: status.FAILED_PRECONDITION,
  ResourceExhausted: status.RESOURCE_EXHAUSTED,
};

export function fromMvccError(error: MvccError): GrpcFailure {
  return { code: CODE_BY_NAME[error.code], details: error.message };
}

export function fromRequestError(error: RequestError): GrpcFailure {
  switch (error.kind) {
    case 'no-leader':
      return EtcdErrors.noLeader;
    case 'timeout':
      return EtcdErrors.timeout;
    case 'timeout-leader-fail':
      return EtcdErrors.timeoutDueToLeaderFail;
    case 'overloaded':
      return EtcdErrors.tooManyRequests;
    case 'stopping':
      return EtcdErrors.stopped;
  }
}

/** Thrown inside handlers to fail the call with `failure`; anything else is an internal error. */
export class ApiError extends Error {
  constructor(readonly failure: GrpcFailure) {
    super(failure.details);
  }
}

/** A Synod feature etcd has and Synod does not yet: UNIMPLEMENTED, saying so plainly. */
export function notSupported(what: string): GrpcFailure {
  return { code: status.UNIMPLEMENTED, details: `synod: ${what} is not supported yet` };
}
