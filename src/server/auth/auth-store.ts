import type { Bytes, MvccError } from '../../storage/mvcc/index.js';

/**
 * etcd's auth store as replicated state: users (with password hashes made by the member that took
 * the request, never here), roles with key-range permissions, the enabled flag and the auth
 * revision. Every member applies the same commands in log order, so this code is deterministic:
 * no clocks, no randomness, no hashing.
 */

export type PermissionType = 'READ' | 'WRITE' | 'READWRITE';

/** A permission on [key, rangeEnd); an empty rangeEnd is the single key, `\0` is every key from it. */
export interface Permission {
  readonly permType: PermissionType;
  readonly key: Bytes;
  readonly rangeEnd: Bytes;
}

export interface AuthUser {
  readonly name: string;
  /** The encoded hash (passwords.ts); empty with `noPassword`. */
  readonly passwordHash: string;
  readonly noPassword: boolean;
  /** Sorted, as etcd keeps them. */
  readonly roles: readonly string[];
}

export interface AuthRole {
  readonly name: string;
  /** Sorted by key, then range end. */
  readonly permissions: readonly Permission[];
}

export const ROOT_USER = 'root';
export const ROOT_ROLE = 'root';

export type AuthCommand =
  | { readonly type: 'authEnable' }
  | { readonly type: 'authDisable' }
  | {
      readonly type: 'userAdd';
      readonly name: string;
      readonly passwordHash: string;
      readonly noPassword: boolean;
    }
  | { readonly type: 'userDelete'; readonly name: string }
  | { readonly type: 'userChangePassword'; readonly name: string; readonly passwordHash: string }
  | { readonly type: 'userGrantRole'; readonly user: string; readonly role: string }
  | { readonly type: 'userRevokeRole'; readonly name: string; readonly role: string }
  | { readonly type: 'roleAdd'; readonly name: string }
  | { readonly type: 'roleDelete'; readonly role: string }
  | { readonly type: 'roleGrantPermission'; readonly name: string; readonly perm: Permission }
  | {
      readonly type: 'roleRevokePermission';
      readonly role: string;
      readonly key: Bytes;
      readonly rangeEnd: Bytes;
    };

/** etcd's auth errors (rpctypes/error.go): code and message verbatim. */
export const AuthErrors = {
  rootUserNotExist: { code: 'FailedPrecondition', message: 'etcdserver: root user does not exist' },
  rootRoleNotExist: {
    code: 'FailedPrecondition',
    message: 'etcdserver: root user does not have root role',
  },
  userAlreadyExist: { code: 'FailedPrecondition', message: 'etcdserver: user name already exists' },
  userEmpty: { code: 'InvalidArgument', message: 'etcdserver: user name is empty' },
  userNotFound: { code: 'FailedPrecondition', message: 'etcdserver: user name not found' },
  roleAlreadyExist: { code: 'FailedPrecondition', message: 'etcdserver: role name already exists' },
  roleNotFound: { code: 'FailedPrecondition', message: 'etcdserver: role name not found' },
  roleEmpty: { code: 'InvalidArgument', message: 'etcdserver: role name is empty' },
  authFailed: {
    code: 'InvalidArgument',
    message: 'etcdserver: authentication failed, invalid user ID or password',
  },
  roleNotGranted: {
    code: 'FailedPrecondition',
    message: 'etcdserver: role is not granted to the user',
  },
  permissionNotGranted: {
    code: 'FailedPrecondition',
    message: 'etcdserver: permission is not granted to the role',
  },
  authNotEnabled: {
    code: 'FailedPrecondition',
    message: 'etcdserver: authentication is not enabled',
  },
  invalidAuthMgmt: { code: 'InvalidArgument', message: 'etcdserver: invalid auth management' },
  authOldRevision: {
    code: 'InvalidArgument',
    message: 'etcdserver: revision of auth store is old',
  },
} as const satisfies Record<string, MvccError>;

export type AuthOutcome = { readonly ok: true } | { readonly ok: false; readonly error: MvccError };

/** The auth part of a server snapshot. */
export interface AuthSnapshot {
  readonly enabled: boolean;
  readonly revision: number;
  readonly users: readonly AuthUser[];
  readonly roles: readonly AuthRole[];
}

const PERMISSION_TYPES: ReadonlySet<string> = new Set(['READ', 'WRITE', 'READWRITE']);

/**
 * Why `value` is not an auth snapshot (one read from a file, e.g. a backup image), or undefined
 * when it is one. Checks the shape and the types of every field, not the permissions' meaning.
 */
export function authSnapshotProblem(value: unknown): string | undefined {
  const object = (item: unknown): item is Record<string, unknown> =>
    typeof item === 'object' && item !== null && !Array.isArray(item);
  const strings = (item: unknown) =>
    Array.isArray(item) && item.every((each) => typeof each === 'string');
  if (!object(value)) return 'the auth state is not an object';
  if (typeof value.enabled !== 'boolean') return 'the auth state has no enabled flag';
  if (!Number.isSafeInteger(value.revision) || (value.revision as number) < 1)
    return 'the auth revision is not a positive integer';
  if (!Array.isArray(value.users) || !Array.isArray(value.roles))
    return 'the auth state lacks its users or roles';
  for (const user of value.users as unknown[])
    if (
      !object(user) ||
      typeof user.name !== 'string' ||
      typeof user.passwordHash !== 'string' ||
      typeof user.noPassword !== 'boolean' ||
      !strings(user.roles)
    )
      return `a user is malformed: ${JSON.stringify(user).slice(0, 120)}`;
  for (const role of value.roles as unknown[]) {
    const permissions = object(role) ? role.permissions : undefined;
    if (
      !object(role) ||
      typeof role.name !== 'string' ||
      !Array.isArray(permissions) ||
      !permissions.every(
        (perm) =>
          object(perm) &&
          PERMISSION_TYPES.has(perm.permType as string) &&
          typeof perm.key === 'string' &&
          typeof perm.rangeEnd === 'string',
      )
    )
      return `a role is malformed: ${JSON.stringify(role).slice(0, 120)}`;
  }
  return undefined;
}

const OK: AuthOutcome = { ok: true };
const fail = (error: MvccError): AuthOutcome => ({ ok: false, error });

export class AuthStore {
  private enabled = false;
  /** etcd's auth revision: bumped by every change, so a member can tell its view is current. */
  private authRevision = 1;
  private readonly users = new Map<string, AuthUser>();
  private readonly roles = new Map<string, AuthRole>();

  get isEnabled(): boolean {
    return this.enabled;
  }

  get revision(): number {
    return this.authRevision;
  }

  user(name: string): AuthUser | undefined {
    return this.users.get(name);
  }

  role(name: string): AuthRole | undefined {
    return this.roles.get(name);
  }

  userNames(): string[] {
    return [...this.users.keys()].sort();
  }

  roleNames(): string[] {
    return [...this.roles.keys()].sort();
  }

  apply(command: AuthCommand): AuthOutcome {
    const outcome = this.applyCommand(command);
    if (outcome.ok) this.authRevision += 1;
    return outcome;
  }

  private applyCommand(command: AuthCommand): AuthOutcome {
    switch (command.type) {
      case 'authEnable': {
        if (this.enabled) return OK;
        const root = this.users.get(ROOT_USER);
        if (root === undefined) return fail(AuthErrors.rootUserNotExist);
        if (!root.roles.includes(ROOT_ROLE)) return fail(AuthErrors.rootRoleNotExist);
        this.enabled = true;
        return OK;
      }
      case 'authDisable':
        this.enabled = false;
        return OK;
      case 'userAdd': {
        if (command.name === '') return fail(AuthErrors.userEmpty);
        if (this.users.has(command.name)) return fail(AuthErrors.userAlreadyExist);
        this.users.set(command.name, {
          name: command.name,
          passwordHash: command.noPassword ? '' : command.passwordHash,
          noPassword: command.noPassword,
          roles: [],
        });
        return OK;
      }
      case 'userDelete': {
        if (this.enabled && command.name === ROOT_USER) return fail(AuthErrors.invalidAuthMgmt);
        if (!this.users.delete(command.name)) return fail(AuthErrors.userNotFound);
        return OK;
      }
      case 'userChangePassword': {
        const user = this.users.get(command.name);
        if (user === undefined) return fail(AuthErrors.userNotFound);
        this.users.set(user.name, { ...user, passwordHash: command.passwordHash });
        return OK;
      }
      case 'userGrantRole': {
        const user = this.users.get(command.user);
        if (user === undefined) return fail(AuthErrors.userNotFound);
        // The root role need not exist as a role: granting it is what makes a user root.
        if (command.role !== ROOT_ROLE && !this.roles.has(command.role))
          return fail(AuthErrors.roleNotFound);
        if (user.roles.includes(command.role)) return OK; // etcd ignores a second grant
        this.users.set(user.name, { ...user, roles: [...user.roles, command.role].sort() });
        return OK;
      }
      case 'userRevokeRole': {
        if (this.enabled && command.name === ROOT_USER && command.role === ROOT_ROLE)
          return fail(AuthErrors.invalidAuthMgmt);
        const user = this.users.get(command.name);
        if (user === undefined) return fail(AuthErrors.userNotFound);
        if (!user.roles.includes(command.role)) return fail(AuthErrors.roleNotGranted);
        this.users.set(user.name, {
          ...user,
          roles: user.roles.filter((role) => role !== command.role),
        });
        return OK;
      }
      case 'roleAdd': {
        if (command.name === '') return fail(AuthErrors.roleEmpty);
        if (this.roles.has(command.name)) return fail(AuthErrors.roleAlreadyExist);
        this.roles.set(command.name, { name: command.name, permissions: [] });
        return OK;
      }
      case 'roleDelete': {
        if (this.enabled && command.role === ROOT_ROLE) return fail(AuthErrors.invalidAuthMgmt);
        if (!this.roles.delete(command.role)) return fail(AuthErrors.roleNotFound);
        for (const user of [...this.users.values()])
          if (user.roles.includes(command.role))
            this.users.set(user.name, {
              ...user,
              roles: user.roles.filter((role) => role !== command.role),
            });
        return OK;
      }
      case 'roleGrantPermission': {
        const role = this.roles.get(command.name);
        if (role === undefined) return fail(AuthErrors.roleNotFound);
        const { perm } = command;
        const others = role.permissions.filter(
          (existing) => existing.key !== perm.key || existing.rangeEnd !== perm.rangeEnd,
        );
        const permissions = [...others, perm].sort(comparePermissions);
        this.roles.set(role.name, { name: role.name, permissions });
        return OK;
      }
      case 'roleRevokePermission': {
        const role = this.roles.get(command.role);
        if (role === undefined) return fail(AuthErrors.roleNotFound);
        const kept = role.permissions.filter(
          (existing) => existing.key !== command.key || existing.rangeEnd !== command.rangeEnd,
        );
        if (kept.length === role.permissions.length) return fail(AuthErrors.permissionNotGranted);
        this.roles.set(role.name, { name: role.name, permissions: kept });
        return OK;
      }
    }
  }

  /** Whether `userName` has the root role (etcd's IsAdminPermitted, once the user is known). */
  hasRootRole(userName: string): boolean {
    return this.users.get(userName)?.roles.includes(ROOT_ROLE) ?? false;
  }

  /**
   * Whether `userName` may read or write all of [key, rangeEnd) (rangeEnd '' is the key alone):
   * root may do anything; otherwise the union of the user's roles' permissions of that kind must
   * cover the whole interval, as etcd's range-permission cache decides.
   */
  isPermitted(userName: string, key: Bytes, rangeEnd: Bytes, write: boolean): boolean {
    const user = this.users.get(userName);
    if (user === undefined) return false;
    if (user.roles.includes(ROOT_ROLE)) return true;
    const intervals: [Bytes, Bytes | undefined][] = [];
    for (const roleName of user.roles) {
      for (const perm of this.roles.get(roleName)?.permissions ?? []) {
        const allows =
          perm.permType === 'READWRITE' || perm.permType === (write ? 'WRITE' : 'READ');
        if (allows) intervals.push([perm.key, endOf(perm.key, perm.rangeEnd)]);
      }
    }
    return covers(intervals, key, endOf(key, rangeEnd));
  }

  snapshot(): AuthSnapshot {
    return {
      enabled: this.enabled,
      revision: this.authRevision,
      users: [...this.users.values()],
      roles: [...this.roles.values()],
    };
  }

  restore(snapshot: AuthSnapshot | undefined): void {
    this.users.clear();
    this.roles.clear();
    this.enabled = snapshot?.enabled ?? false;
    this.authRevision = snapshot?.revision ?? 1;
    for (const user of snapshot?.users ?? []) this.users.set(user.name, user);
    for (const role of snapshot?.roles ?? []) this.roles.set(role.name, role);
  }
}

function comparePermissions(a: Permission, b: Permission): number {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  if (a.rangeEnd !== b.rangeEnd) return a.rangeEnd < b.rangeEnd ? -1 : 1;
  return 0;
}

/**
 * The exclusive end of [key, rangeEnd) as an interval: a single key ends just after itself
 * (key + '\0'); '\0' as the range end means "no end" (undefined).
 */
function endOf(key: Bytes, rangeEnd: Bytes): Bytes | undefined {
  if (rangeEnd === '') return `${key}\u0000`;
  if (rangeEnd === '\u0000') return undefined;
  return rangeEnd;
}

const before = (a: Bytes, b: Bytes | undefined) => b === undefined || a < b;

/** Whether the union of `intervals` covers [start, end). */
function covers(
  intervals: [Bytes, Bytes | undefined][],
  start: Bytes,
  end: Bytes | undefined,
): boolean {
  const sorted = intervals.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let reached: Bytes = start;
  for (const [from, to] of sorted) {
    if (from > reached) break;
    if (to === undefined) return true;
    if (to > reached) reached = to;
    if (end !== undefined && reached >= end) return true;
  }
  return end !== undefined && reached >= end && before(start, end);
}
