import type {
  Metadata,
  sendUnaryData,
  ServerUnaryCall,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import type { AuthGate, AuthInfo } from '../auth/auth-gate.js';
import type { AuthCommand, Permission, PermissionType } from '../auth/auth-store.js';
import { AuthErrors } from '../auth/auth-store.js';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import { newSimpleToken } from '../auth/simple-tokens.js';
import { checked } from './auth-guard.js';
import type { EtcdContext } from './context.js';
import { headerOf, propose, unary } from './context.js';
import { type ProtoObject, boolField, bytesField } from './convert.js';
import { ApiError, fromMvccError } from './etcd-errors.js';

/**
 * etcd 3.4's Auth service. Changes go through the log as `auth` commands (passwords hashed here,
 * at the member that took the request); reads are served from this member's replicated auth
 * state after a read barrier, so they see every change acknowledged before them. Authenticate
 * checks the password here and proposes a simple token, which every member then holds
 * (simple-tokens.ts).
 */

const PERMISSION_TYPES: readonly PermissionType[] = ['READ', 'WRITE', 'READWRITE'];

function stringField(message: ProtoObject, field: string): string {
  const value = message[field];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string')
    throw new ApiError({
      code: status.INVALID_ARGUMENT,
      details: `etcdserver: malformed request: "${field}" must be a string`,
    });
  return value;
}

function permissionOf(message: ProtoObject): Permission {
  const perm = message.perm;
  if (perm === undefined || perm === null || typeof perm !== 'object')
    throw new ApiError({
      code: status.INVALID_ARGUMENT,
      details: 'etcdserver: permission not given',
    });
  const fields = perm as ProtoObject;
  const permType = fields.permType as PermissionType;
  if (!PERMISSION_TYPES.includes(permType))
    throw new ApiError({
      code: status.INVALID_ARGUMENT,
      details: `etcdserver: malformed request: unknown permission type ${String(fields.permType)}`,
    });
  return { permType, key: bytesField(fields, 'key'), rangeEnd: bytesField(fields, 'range_end') };
}

const fromPermission = (perm: Permission): ProtoObject => ({
  permType: perm.permType,
  key: Buffer.from(perm.key, 'latin1'),
  range_end: Buffer.from(perm.rangeEnd, 'latin1'),
});

export function authService(context: EtcdContext, gate: AuthGate): UntypedServiceImplementation {
  const store = context.app.auth;
  const header = () => headerOf(context, context.app.store.currentRevision);
  const change = async (command: AuthCommand) => {
    await propose(context, { type: 'auth', request: command });
    return { header: header() };
  };
  /** A linearizable read of the auth state: a barrier, then this member's state. */
  const barrier = () => propose(context, { type: 'range', request: { key: '\u0000' } });

  /** A handler that needs the caller: the token is resolved before anything else. */
  const withCaller = (
    method: string,
    handle: (request: ProtoObject, info: AuthInfo) => Promise<ProtoObject>,
  ) => {
    const inner = (metadata: Metadata) =>
      unary(context, method, async (request) =>
        handle(
          request,
          checked(() => gate.infoOf(metadata)),
        ),
      );
    return (
      call: ServerUnaryCall<ProtoObject, ProtoObject>,
      callback: sendUnaryData<ProtoObject>,
    ) => inner(call.metadata)(call, callback);
  };
  const adminOnly = (method: string, handle: (request: ProtoObject) => Promise<ProtoObject>) =>
    withCaller(method, async (request, info) => {
      checked(() => gate.requireAdmin(info));
      return handle(request);
    });

  return {
    AuthEnable: adminOnly('AuthEnable', () => change({ type: 'authEnable' })),
    AuthDisable: adminOnly('AuthDisable', () => change({ type: 'authDisable' })),
    Authenticate: unary(context, 'Authenticate', async (request) => {
      const name = stringField(request, 'name');
      const password = stringField(request, 'password');
      await barrier();
      if (!store.isEnabled) throw new ApiError(fromMvccError(AuthErrors.authNotEnabled));
      const user = store.user(name);
      const matches =
        user !== undefined &&
        !user.noPassword &&
        (await verifyPassword(password, user.passwordHash));
      if (!matches) throw new ApiError(fromMvccError(AuthErrors.authFailed));
      const jwt = gate.jwt;
      if (jwt !== undefined) {
        // Signed here and verified anywhere: no log entry, as etcd's JWT tokens.
        if (!jwt.canIssue)
          throw new ApiError({
            code: status.UNKNOWN,
            details: 'auth: token signing attempted with verify-only key',
          });
        return { header: header(), token: jwt.issue(name, store.revision) };
      }
      const token = newSimpleToken();
      await propose(context, {
        type: 'authToken',
        request: { token, user: name, passwordHash: user.passwordHash },
      });
      return { header: header(), token };
    }),
    UserAdd: adminOnly('UserAdd', async (request) => {
      const name = stringField(request, 'name');
      if (name === '') throw new ApiError(fromMvccError(AuthErrors.userEmpty));
      const options = request.options as ProtoObject | null | undefined;
      const noPassword =
        options !== null && options !== undefined && boolField(options, 'no_password');
      const passwordHash = noPassword ? '' : await hashPassword(stringField(request, 'password'));
      return change({ type: 'userAdd', name, passwordHash, noPassword });
    }),
    UserGet: withCaller('UserGet', async (request, info) => {
      const name = stringField(request, 'name');
      // etcd lets a user read itself without the root role.
      if (info.user !== name) checked(() => gate.requireAdmin(info));
      await barrier();
      const user = store.user(name);
      if (user === undefined) throw new ApiError(fromMvccError(AuthErrors.userNotFound));
      return { header: header(), roles: [...user.roles] };
    }),
    UserList: adminOnly('UserList', async () => {
      await barrier();
      return { header: header(), users: store.userNames() };
    }),
    UserDelete: adminOnly('UserDelete', (request) =>
      change({ type: 'userDelete', name: stringField(request, 'name') }),
    ),
    UserChangePassword: adminOnly('UserChangePassword', async (request) => {
      const name = stringField(request, 'name');
      if (store.user(name) === undefined)
        throw new ApiError(fromMvccError(AuthErrors.userNotFound));
      const passwordHash = await hashPassword(stringField(request, 'password'));
      return change({ type: 'userChangePassword', name, passwordHash });
    }),
    UserGrantRole: adminOnly('UserGrantRole', (request) =>
      change({
        type: 'userGrantRole',
        user: stringField(request, 'user'),
        role: stringField(request, 'role'),
      }),
    ),
    UserRevokeRole: adminOnly('UserRevokeRole', (request) =>
      change({
        type: 'userRevokeRole',
        name: stringField(request, 'name'),
        role: stringField(request, 'role'),
      }),
    ),
    RoleAdd: adminOnly('RoleAdd', (request) => {
      const name = stringField(request, 'name');
      if (name === '') throw new ApiError(fromMvccError(AuthErrors.roleEmpty));
      return change({ type: 'roleAdd', name });
    }),
    RoleGet: withCaller('RoleGet', async (request, info) => {
      const name = stringField(request, 'role');
      // etcd lets a user read the roles it has.
      const own = info.user !== undefined && (store.user(info.user)?.roles.includes(name) ?? false);
      if (!own) checked(() => gate.requireAdmin(info));
      await barrier();
      const role = store.role(name);
      if (role === undefined) throw new ApiError(fromMvccError(AuthErrors.roleNotFound));
      return { header: header(), perm: role.permissions.map(fromPermission) };
    }),
    RoleList: adminOnly('RoleList', async () => {
      await barrier();
      return { header: header(), roles: store.roleNames() };
    }),
    RoleDelete: adminOnly('RoleDelete', (request) =>
      change({ type: 'roleDelete', role: stringField(request, 'role') }),
    ),
    RoleGrantPermission: adminOnly('RoleGrantPermission', (request) =>
      change({
        type: 'roleGrantPermission',
        name: stringField(request, 'name'),
        perm: permissionOf(request),
      }),
    ),
    RoleRevokePermission: adminOnly('RoleRevokePermission', (request) =>
      change({
        type: 'roleRevokePermission',
        role: stringField(request, 'role'),
        key: bytesField(request, 'key'),
        rangeEnd: bytesField(request, 'range_end'),
      }),
    ),
  };
}
