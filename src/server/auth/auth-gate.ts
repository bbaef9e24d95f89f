import type { Metadata } from '@grpc/grpc-js';
import type { Bytes, MvccError } from '../../storage/mvcc/index.js';
import type { AuthStore } from './auth-store.js';
import { AuthErrors } from './auth-store.js';
import type { JwtTokens } from './jwt-tokens.js';
import type { SimpleTokens } from './simple-tokens.js';

/**
 * Who a request is, and what it may do: etcd's AuthInfoFromCtx, IsRangePermitted and
 * IsAdminPermitted, decided at the member that takes the request against its replicated auth
 * state. etcd decides writes again when it applies them (with the auth revision the token was
 * checked at); Synod decides once, here, so a permission revoked on the leader takes effect at a
 * member once that member has applied the revocation.
 */

/** etcd's ErrGRPCPermissionDenied and ErrGRPCInvalidAuthToken, outside the auth store's codes. */
export const GateErrors = {
  permissionDenied: { code: 'PermissionDenied', message: 'etcdserver: permission denied' },
  invalidAuthToken: { code: 'Unauthenticated', message: 'etcdserver: invalid auth token' },
} as const;

export type GateError = MvccError | (typeof GateErrors)[keyof typeof GateErrors];

/** Thrown by the gate; the gRPC layer turns it into a status. */
export class AuthDenied extends Error {
  constructor(readonly error: GateError) {
    super(error.message);
  }
}

/** The caller: `undefined` when auth is disabled (everything allowed), '' when no token was sent. */
export interface AuthInfo {
  readonly user: string | undefined;
  /** A JWT's auth revision: key access is refused once auth has changed since (etcd's rule). */
  readonly revision?: number;
}

/** etcd's metadata key for the token (rpctypes.TokenFieldNameGRPC). */
export const TOKEN_METADATA_KEY = 'token';

export class AuthGate {
  constructor(
    readonly store: AuthStore,
    readonly tokens: SimpleTokens,
    /** With `--auth-token jwt,…`: tokens are verified by signature, not looked up. */
    readonly jwt?: JwtTokens,
  ) {}

  /** etcd's AuthInfoFromCtx: no check while auth is disabled; an unknown token is refused. */
  infoOf(metadata: Metadata): AuthInfo {
    if (!this.store.isEnabled) return { user: undefined };
    const token = metadata.get(TOKEN_METADATA_KEY)[0];
    if (token === undefined || token === '') return { user: '' };
    if (this.jwt !== undefined) {
      const claims = this.jwt.verify(String(token));
      if (claims === undefined || this.store.user(claims.user) === undefined)
        throw new AuthDenied(GateErrors.invalidAuthToken);
      return { user: claims.user, revision: claims.revision };
    }
    const owner = this.tokens.resolve(String(token));
    const user = owner === undefined ? undefined : this.store.user(owner.user);
    // A deleted user or a changed password ends the tokens issued before (etcd invalidates them).
    if (owner === undefined || user === undefined || user.passwordHash !== owner.passwordHash)
      throw new AuthDenied(GateErrors.invalidAuthToken);
    return { user: owner.user };
  }

  /** etcd's isOpPermitted for [key, rangeEnd). */
  requireRange(info: AuthInfo, key: Bytes, rangeEnd: Bytes, write: boolean): void {
    if (info.user === undefined || !this.store.isEnabled) return;
    if (info.user === '') throw new AuthDenied(AuthErrors.userEmpty);
    if (info.revision !== undefined && info.revision < this.store.revision)
      throw new AuthDenied(AuthErrors.authOldRevision);
    if (!this.store.isPermitted(info.user, key, rangeEnd, write))
      throw new AuthDenied(GateErrors.permissionDenied);
  }

  /** etcd's IsAdminPermitted: the root role. */
  requireAdmin(info: AuthInfo): void {
    if (info.user === undefined || !this.store.isEnabled) return;
    if (info.user === '') throw new AuthDenied(AuthErrors.userEmpty);
    if (this.store.user(info.user) === undefined) throw new AuthDenied(AuthErrors.userNotFound);
    if (!this.store.hasRootRole(info.user)) throw new AuthDenied(GateErrors.permissionDenied);
  }
}
