import { describe, expect, it } from 'vitest';
import { EtcdApplication } from '../etcd-application.js';
import type { AuthCommand, Permission } from './auth-store.js';
import { AuthErrors, AuthStore, authSnapshotProblem } from './auth-store.js';
import { bootstrapMembership } from '../membership.js';

const ONE_MEMBER = bootstrapMembership([
  { nodeId: 0, memberId: '1', peerUrls: ['http://127.0.0.1:2380'] },
]);

function storeWith(...commands: AuthCommand[]): AuthStore {
  const store = new AuthStore();
  for (const command of commands) {
    const outcome = store.apply(command);
    if (!outcome.ok) throw new Error(`${command.type}: ${outcome.error.message}`);
  }
  return store;
}

const userAdd = (name: string): AuthCommand => ({
  type: 'userAdd',
  name,
  passwordHash: `hash-of-${name}`,
  noPassword: false,
});
const perm = (permType: Permission['permType'], key: string, rangeEnd = ''): Permission => ({
  permType,
  key,
  rangeEnd,
});
const grant = (name: string, permission: Permission): AuthCommand => ({
  type: 'roleGrantPermission',
  name,
  perm: permission,
});

describe('the auth state machine', () => {
  it('enables auth only with a root user that has the root role', () => {
    const store = new AuthStore();
    expect(store.apply({ type: 'authEnable' })).toEqual({
      ok: false,
      error: AuthErrors.rootUserNotExist,
    });
    store.apply(userAdd('root'));
    expect(store.apply({ type: 'authEnable' })).toEqual({
      ok: false,
      error: AuthErrors.rootRoleNotExist,
    });
    // The root role is granted without existing as a role, as in etcd.
    expect(store.apply({ type: 'userGrantRole', user: 'root', role: 'root' })).toEqual({
      ok: true,
    });
    expect(store.apply({ type: 'authEnable' })).toEqual({ ok: true });
    expect(store.isEnabled).toBe(true);
    expect(store.apply({ type: 'authDisable' })).toEqual({ ok: true });
    expect(store.isEnabled).toBe(false);
  });

  it('refuses what etcd refuses, with its errors, and bumps the revision only on success', () => {
    const store = storeWith(userAdd('alice'), { type: 'roleAdd', name: 'r' });
    const before = store.revision;
    const refusals: [AuthCommand, unknown][] = [
      [userAdd(''), AuthErrors.userEmpty],
      [userAdd('alice'), AuthErrors.userAlreadyExist],
      [{ type: 'roleAdd', name: '' }, AuthErrors.roleEmpty],
      [{ type: 'roleAdd', name: 'r' }, AuthErrors.roleAlreadyExist],
      [{ type: 'userDelete', name: 'bob' }, AuthErrors.userNotFound],
      [{ type: 'userChangePassword', name: 'bob', passwordHash: 'x' }, AuthErrors.userNotFound],
      [{ type: 'userGrantRole', user: 'bob', role: 'r' }, AuthErrors.userNotFound],
      [{ type: 'userGrantRole', user: 'alice', role: 'nope' }, AuthErrors.roleNotFound],
      [{ type: 'userRevokeRole', name: 'alice', role: 'r' }, AuthErrors.roleNotGranted],
      [{ type: 'roleDelete', role: 'nope' }, AuthErrors.roleNotFound],
      [grant('nope', perm('READ', 'a')), AuthErrors.roleNotFound],
      [
        { type: 'roleRevokePermission', role: 'r', key: 'a', rangeEnd: '' },
        AuthErrors.permissionNotGranted,
      ],
    ];
    for (const [command, error] of refusals)
      expect(store.apply(command)).toEqual({ ok: false, error });
    expect(store.revision).toBe(before);
    store.apply(userAdd('bob'));
    expect(store.revision).toBe(before + 1);
  });

  it('protects root while auth is enabled', () => {
    const store = storeWith(userAdd('root'), { type: 'userGrantRole', user: 'root', role: 'root' });
    store.apply({ type: 'authEnable' });
    const invalid = { ok: false, error: AuthErrors.invalidAuthMgmt };
    expect(store.apply({ type: 'userDelete', name: 'root' })).toEqual(invalid);
    expect(store.apply({ type: 'userRevokeRole', name: 'root', role: 'root' })).toEqual(invalid);
    expect(store.apply({ type: 'roleDelete', role: 'root' })).toEqual(invalid);
  });

  it('keeps roles sorted, ignores a second grant, and drops a deleted role from its users', () => {
    const store = storeWith(
      userAdd('alice'),
      { type: 'roleAdd', name: 'b' },
      { type: 'roleAdd', name: 'a' },
      { type: 'userGrantRole', user: 'alice', role: 'b' },
      { type: 'userGrantRole', user: 'alice', role: 'a' },
      { type: 'userGrantRole', user: 'alice', role: 'a' },
    );
    expect(store.user('alice')?.roles).toEqual(['a', 'b']);
    store.apply({ type: 'roleDelete', role: 'a' });
    expect(store.user('alice')?.roles).toEqual(['b']);
    expect(store.roleNames()).toEqual(['b']);
  });

  it('decides permissions on key ranges as etcd: read, write, readwrite, unions, root', () => {
    const store = storeWith(
      userAdd('root'),
      { type: 'userGrantRole', user: 'root', role: 'root' },
      userAdd('alice'),
      { type: 'roleAdd', name: 'app' },
      { type: 'roleAdd', name: 'more' },
      grant('app', perm('READ', '/app/', '/app0')),
      grant('app', perm('READWRITE', '/app/rw/', '/app/rw0')),
      grant('more', perm('READ', '/app0', '/b')),
      grant('more', perm('WRITE', 'k')),
      { type: 'userGrantRole', user: 'alice', role: 'app' },
      { type: 'userGrantRole', user: 'alice', role: 'more' },
    );
    const can = (key: string, end: string, write: boolean) =>
      store.isPermitted('alice', key, end, write);
    expect(can('/app/x', '', false)).toBe(true);
    expect(can('/app/x', '', true)).toBe(false);
    expect(can('/app/rw/x', '', true)).toBe(true);
    expect(can('/app/rw/x', '', false)).toBe(true);
    // [/app/, /b) is covered only by the two roles' ranges together.
    expect(can('/app/', '/b', false)).toBe(true);
    expect(can('/app/', '/c', false)).toBe(false);
    expect(can('/', '', false)).toBe(false);
    expect(can('k', '', true)).toBe(true);
    expect(can('k', '', false)).toBe(false);
    expect(can('k', 'l', true)).toBe(false); // more than the single key
    expect(can('/app/', '\u0000', false)).toBe(false); // from /app/ to the end
    expect(store.isPermitted('root', '', '\u0000', true)).toBe(true);
    expect(store.isPermitted('nobody', '/app/x', '', false)).toBe(false);
    // Granting the same range again replaces its type; revoking removes it.
    store.apply(grant('app', perm('READWRITE', '/app/', '/app0')));
    expect(can('/app/x', '', true)).toBe(true);
    store.apply({ type: 'roleRevokePermission', role: 'app', key: '/app/', rangeEnd: '/app0' });
    expect(can('/app/x', '', false)).toBe(false);
  });

  it('goes into the server snapshot and comes back from it on another member', () => {
    const source = new EtcdApplication(ONE_MEMBER, () => 0);
    for (const command of [
      userAdd('root'),
      { type: 'userGrantRole', user: 'root', role: 'root' },
      { type: 'roleAdd', name: 'r' },
      grant('r', perm('READ', 'a', 'b')),
      { type: 'authEnable' },
    ] satisfies AuthCommand[])
      expect(source.apply({ type: 'auth', request: command }).ok).toBe(true);
    const failed = source.apply({ type: 'auth', request: userAdd('root') });
    expect(failed).toEqual({ ok: false, error: AuthErrors.userAlreadyExist });

    const copy = new EtcdApplication(ONE_MEMBER, () => 0);
    copy.restore(JSON.parse(JSON.stringify(source.snapshot())));
    expect(copy.auth.snapshot()).toEqual(source.auth.snapshot());
    expect(copy.auth.isEnabled).toBe(true);
    expect(copy.auth.role('r')?.permissions).toEqual([perm('READ', 'a', 'b')]);

    // A snapshot from before auth existed restores as auth disabled, with no users.
    const old = source.snapshot() as unknown as Record<string, unknown>;
    delete old.auth;
    copy.restore(old);
    expect(copy.auth.isEnabled).toBe(false);
    expect(copy.auth.userNames()).toEqual([]);
  });

  it('finds what is wrong with an auth state read from a file', () => {
    const good = {
      enabled: true,
      revision: 3,
      users: [{ name: 'root', passwordHash: 'h', noPassword: false, roles: ['root'] }],
      roles: [{ name: 'r', permissions: [{ permType: 'READ', key: 'a', rangeEnd: 'b' }] }],
    };
    expect(authSnapshotProblem(good)).toBeUndefined();
    expect(authSnapshotProblem([])).toBe('the auth state is not an object');
    expect(authSnapshotProblem({ ...good, revision: 0 })).toContain('revision');
    expect(authSnapshotProblem({ ...good, users: [{ name: 'x' }] })).toContain(
      'a user is malformed',
    );
    expect(
      authSnapshotProblem({
        ...good,
        roles: [{ name: 'r', permissions: [{ permType: 'ALL', key: 'a', rangeEnd: '' }] }],
      }),
    ).toContain('a role is malformed');
  });
});
