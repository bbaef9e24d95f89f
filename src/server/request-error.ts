/**
 * Why a request to the runtime did not complete: the API layer maps each kind to etcd's status and
 * message (`etcdserver: no leader`, `etcdserver: request timed out`, …).
 */
export type RequestErrorKind =
  'no-leader' | 'timeout' | 'timeout-leader-fail' | 'overloaded' | 'stopping';

export class RequestError extends Error {
  override readonly name = 'RequestError';
  constructor(
    readonly kind: RequestErrorKind,
    message: string,
  ) {
    super(message);
  }
}
