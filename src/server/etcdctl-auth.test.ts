import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceError } from '@grpc/grpc-js';
import { credentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_ENGINES } from './engines.js';
import { etcdServices } from './grpc/proto.js';
import { type Message, unaryOutcome as call } from './testing/grpc-call.js';
import { ProcessCluster, builtCliExists, etcdctlExists } from './testing/process-cluster.js';

/**
 * Auth on a 3-process cluster, driven by Debian's etcdctl 3.4 as an operator would. The expected
 * outputs and errors are what etcdctl prints against etcd 3.4.23 for the same commands.
 */
const runnable = builtCliExists() && etcdctlExists();
if (!runnable)
  console.warn('skipping the etcdctl auth tests: they need `npm run build` and etcdctl');

const engines = SERVER_ENGINES.map((engine) => engine.name);

/**
 * `auth enable` answers once the member that took it applied it; the others may apply it a moment
 * later (as in etcd). Until then such a member answers Authenticate with "authentication is not
 * enabled", etcdctl goes on without a token, and a member that has applied it refuses the request
 * ("user name is empty"). Waits, as an operator would, until every member enforces it.
 */
async function untilEveryMemberEnforcesAuth(cluster: ProcessCluster): Promise<void> {
  for (const member of cluster.members) {
    const endpoint = `127.0.0.1:${member.clientPort}`;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { stderr } = await cluster.etcdctl(['get', 'x'], endpoint);
      const enforced = stderr.includes('Error: etcdserver: user name is empty');
      if (enforced || Date.now() > deadline) {
        expect(stderr).toContain('Error: etcdserver: user name is empty');
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe.runIf(runnable).each(engines)('auth on a 3-process %s cluster with etcdctl', (engine) => {
  let cluster: ProcessCluster;
  const root = ['--user', 'root:rootpw'];
  const alice = ['--user', 'alice:alicepw'];

  beforeAll(async () => {
    cluster = await ProcessCluster.launch(3, engine);
  }, 60_000);

  afterAll(async () => {
    await cluster?.destroy();
  }, 30_000);

  const error = (result: { stderr: string }) => result.stderr.match(/^Error: (.*)$/m)?.[1];

  it('sets up users and roles, and refuses to enable auth without root', async () => {
    expect(error(await cluster.etcdctl(['auth', 'enable']))).toBe(
      'etcdserver: root user does not exist',
    );
    expect(
      (await cluster.etcdctl(['user', 'add', 'root', '--new-user-password=rootpw'])).stdout,
    ).toBe('User root created\n');
    expect(error(await cluster.etcdctl(['user', 'add', 'root', '--new-user-password=other']))).toBe(
      'etcdserver: user name already exists',
    );
    expect((await cluster.etcdctl(['role', 'add', 'reader'])).stdout).toBe('Role reader created\n');
    expect(error(await cluster.etcdctl(['role', 'add', 'reader']))).toBe(
      'etcdserver: role name already exists',
    );
    expect(
      (await cluster.etcdctl(['role', 'grant-permission', 'reader', 'read', '/app/', '--prefix']))
        .stdout,
    ).toBe('Role reader updated\n');
    await cluster.etcdctl(['user', 'add', 'alice', '--new-user-password=alicepw']);
    expect((await cluster.etcdctl(['user', 'grant-role', 'alice', 'reader'])).stdout).toBe(
      'Role reader is granted to user alice\n',
    );
    expect((await cluster.etcdctl(['role', 'get', 'reader'])).stdout).toBe(
      'Role reader\nKV Read:\n\t[/app/, /app0) (prefix /app/)\nKV Write:\n',
    );
    expect((await cluster.etcdctl(['user', 'list'])).stdout).toBe('alice\nroot\n');
    // etcdctl grants root the root role itself when the server says it lacks it.
    expect((await cluster.etcdctl(['auth', 'enable'])).stdout).toBe('Authentication Enabled\n');
    await untilEveryMemberEnforcesAuth(cluster);
  }, 60_000);

  it('lets root do anything, and refuses anonymous requests and wrong passwords', async () => {
    // The whole result, so that a failure shows etcdctl's stderr.
    expect(await cluster.etcdctl([...root, 'put', '/app/x', '1'])).toMatchObject({
      stdout: 'OK\n',
    });
    expect(await cluster.etcdctl([...root, 'put', '/other', '2'])).toMatchObject({
      stdout: 'OK\n',
    });
    expect(error(await cluster.etcdctl(['put', 'a', 'b']))).toBe('etcdserver: user name is empty');
    expect(error(await cluster.etcdctl(['--user', 'alice:wrong', 'get', '/app/x']))).toBe(
      'etcdserver: authentication failed, invalid user ID or password',
    );
    expect(error(await cluster.etcdctl(['--user', 'nobody:x', 'get', '/app/x']))).toBe(
      'etcdserver: authentication failed, invalid user ID or password',
    );
  }, 60_000);

  it('keeps a read-only user to reads inside its prefix, on every member', async () => {
    for (const member of cluster.members) {
      const endpoint = `127.0.0.1:${member.clientPort}`;
      expect((await cluster.etcdctl([...alice, 'get', '/app/x'], endpoint)).stdout).toBe(
        '/app/x\n1\n',
      );
      expect(error(await cluster.etcdctl([...alice, 'put', '/app/x', '2'], endpoint))).toBe(
        'etcdserver: permission denied',
      );
      expect(error(await cluster.etcdctl([...alice, 'get', '/other'], endpoint))).toBe(
        'etcdserver: permission denied',
      );
    }
    // A prefix read beyond the granted range, a txn with one forbidden op, admin calls.
    expect(error(await cluster.etcdctl([...alice, 'get', '/', '--prefix']))).toBe(
      'etcdserver: permission denied',
    );
    const txn = await cluster.etcdctl(
      [...alice, 'txn'],
      undefined,
      'value("/app/x") = "1"\n\nget /app/x\nput /app/y 1\n\nget /app/x\n\n',
    );
    expect(error(txn)).toBe('etcdserver: permission denied');
    expect(error(await cluster.etcdctl([...alice, 'user', 'list']))).toBe(
      'etcdserver: permission denied',
    );
    expect((await cluster.etcdctl([...alice, 'user', 'get', 'alice'])).stdout).toBe(
      'User: alice\nRoles: reader\n',
    );
    expect(error(await cluster.etcdctl([...root, 'user', 'get', 'nobody']))).toBe(
      'etcdserver: user name not found',
    );
  }, 60_000);

  it('accepts a token at every member, as etcd does (tokens go through the log)', async () => {
    const services = etcdServices();
    const address = (index: number) => `127.0.0.1:${cluster.members[index]?.clientPort}`;
    const auth = new services.Auth(address(0), credentials.createInsecure());
    const issued = await call(auth, 'Authenticate', { name: 'alice', password: 'alicepw' });
    const token = (issued as Message).token as string;
    expect(token).toMatch(/^[a-zA-Z]{16}\.\d+$/);
    for (const index of [0, 1, 2]) {
      const kv = new services.KV(address(index), credentials.createInsecure());
      // The token is applied on each member with its entry: wait for this one to have it.
      let range = await call(kv, 'Range', { key: Buffer.from('/app/x') }, token);
      for (let tries = 0; tries < 50 && (range as ServiceError).code !== undefined; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        range = await call(kv, 'Range', { key: Buffer.from('/app/x') }, token);
      }
      expect((range as Message).count).toBe('1');
      const refused = (await call(
        kv,
        'Range',
        { key: Buffer.from('/x') },
        'made.up',
      )) as ServiceError;
      expect([refused.code, refused.details]).toEqual([
        status.UNAUTHENTICATED,
        'etcdserver: invalid auth token',
      ]);
      kv.close();
    }
    auth.close();
  }, 60_000);

  it('keeps users, roles and the enabled flag across a whole-cluster restart', async () => {
    await cluster.stopAll('SIGTERM');
    cluster.startAll();
    // etcdctl's health check reads a key, which an anonymous client may not once auth is on.
    await cluster.waitReady(undefined, 30_000, 'root:rootpw');
    expect((await cluster.etcdctl([...alice, 'get', '/app/x'])).stdout).toBe('/app/x\n1\n');
    expect(error(await cluster.etcdctl(['get', '/app/x']))).toBe('etcdserver: user name is empty');
  }, 90_000);

  it('disables auth with root, after which anyone may write', async () => {
    expect(error(await cluster.etcdctl([...alice, 'auth', 'disable']))).toBe(
      'etcdserver: permission denied',
    );
    expect((await cluster.etcdctl([...root, 'auth', 'disable'])).stdout).toBe(
      'Authentication Disabled\n',
    );
    expect((await cluster.etcdctl(['put', 'a', 'b'])).stdout).toBe('OK\n');
    expect((await cluster.etcdctl(['user', 'get', 'root'])).stdout).toBe(
      'User: root\nRoles: root\n',
    );
  }, 60_000);
});

/**
 * `--auth-token jwt,…`: every member signs and verifies with the same RSA key pair, so a token
 * issued by one member is accepted by the others at once, with no log entry, and after a restart.
 */
describe.runIf(runnable)('JWT auth tokens on a 3-process cluster', () => {
  let cluster: ProcessCluster;
  const keys = mkdtempSync(join(tmpdir(), 'synod-jwt-'));
  const services = etcdServices();
  const address = (index: number) => `127.0.0.1:${cluster.members[index]?.clientPort}`;

  beforeAll(async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(keys, 'jwt.key'), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(keys, 'jwt.pub'), pair.publicKey.export({ type: 'spki', format: 'pem' }));
    const spec = `jwt,pub-key=${join(keys, 'jwt.pub')},priv-key=${join(keys, 'jwt.key')},sign-method=RS256,ttl=10m`;
    cluster = await ProcessCluster.launch(3, 'raft', { extraArgs: ['--auth-token', spec] });
    await cluster.etcdctl(['user', 'add', 'root', '--new-user-password=rootpw']);
    expect((await cluster.etcdctl(['auth', 'enable'])).stdout).toBe('Authentication Enabled\n');
    await untilEveryMemberEnforcesAuth(cluster);
  }, 60_000);

  afterAll(async () => {
    await cluster?.destroy();
    rmSync(keys, { recursive: true, force: true });
  }, 30_000);

  const raftIndex = async (index: number) => {
    const maintenance = new services.Maintenance(address(index), credentials.createInsecure());
    const status = (await call(maintenance, 'Status', {})) as Message;
    maintenance.close();
    return Number(status.raftIndex);
  };

  it('issues signed tokens that every member accepts at once, without a log entry', async () => {
    expect((await cluster.etcdctl(['--user', 'root:rootpw', 'put', 'k', 'v'])).stdout).toBe('OK\n');
    const auth = new services.Auth(address(0), credentials.createInsecure());
    const before = await raftIndex(0);
    const issued = (await call(auth, 'Authenticate', {
      name: 'root',
      password: 'rootpw',
    })) as Message;
    auth.close();
    const token = issued.token as string;
    const [, payload] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString()) as Message;
    expect(claims.username).toBe('root');
    expect(claims.exp as number).toBeGreaterThan(Date.now() / 1000 + 500);
    expect(await raftIndex(0)).toBe(before); // nothing proposed
    for (const index of [0, 1, 2]) {
      const kv = new services.KV(address(index), credentials.createInsecure());
      const range = (await call(kv, 'Range', { key: Buffer.from('k') }, token)) as Message;
      expect(range.count).toBe('1');
      const forged = `${token.slice(0, token.lastIndexOf('.'))}.${'A'.repeat(342)}`;
      const refused = (await call(kv, 'Range', { key: Buffer.from('k') }, forged)) as ServiceError;
      expect([refused.code, refused.details]).toEqual([
        status.UNAUTHENTICATED,
        'etcdserver: invalid auth token',
      ]);
      kv.close();
    }

    // Any change to auth ages the tokens issued before it, as in etcd.
    await cluster.etcdctl(['--user', 'root:rootpw', 'user', 'add', 'bob', '--new-user-password=b']);
    const kv = new services.KV(address(1), credentials.createInsecure());
    const aged = (await call(kv, 'Range', { key: Buffer.from('k') }, token)) as ServiceError;
    expect([aged.code, aged.details]).toEqual([
      status.INVALID_ARGUMENT,
      'etcdserver: revision of auth store is old',
    ]);
    kv.close();
  }, 60_000);

  it('still accepts a token after a whole-cluster restart (nothing to forget)', async () => {
    const auth = new services.Auth(address(2), credentials.createInsecure());
    const token = (
      (await call(auth, 'Authenticate', { name: 'root', password: 'rootpw' })) as Message
    ).token as string;
    auth.close();
    await cluster.stopAll();
    cluster.startAll();
    await cluster.waitReady(undefined, 30_000, 'root:rootpw');
    const kv = new services.KV(address(0), credentials.createInsecure());
    expect(((await call(kv, 'Range', { key: Buffer.from('k') }, token)) as Message).count).toBe(
      '1',
    );
    kv.close();
  }, 60_000);
});
