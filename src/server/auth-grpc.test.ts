import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client, ClientDuplexStream, ServiceError } from '@grpc/grpc-js';
import { Metadata, credentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNodeFlags } from './config.js';
import { EtcdServer } from './etcd-server.js';
import { etcdServices } from './grpc/proto.js';
import { silentLogger } from './logger.js';
import { type Message, unaryCall as call } from './testing/grpc-call.js';
import { freePort, waitUntil } from './testing/process-cluster.js';

async function refusal(promise: Promise<unknown>): Promise<[number, string]> {
  try {
    await promise;
  } catch (error) {
    return [(error as ServiceError).code, (error as ServiceError).details];
  }
  throw new Error('expected the call to fail');
}

const bytes = (text: string) => Buffer.from(text);

/**
 * Auth through a plain @grpc/grpc-js client: the `token` metadata, and what etcd 3.4.23 answers
 * (codes and texts taken from it) where etcdctl does not show the difference.
 */
describe('auth through a plain gRPC client', () => {
  let server: EtcdServer;
  let dataDir: string;
  let kv: Client;
  let auth: Client;
  let watch: Client;
  let lease: Client;
  let lock: Client;
  let maintenance: Client;
  let aliceToken: string;

  const authenticate = async (name: string, password: string) =>
    (await call(auth, 'Authenticate', { name, password })).token as string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'synod-auth-'));
    const clientPort = await freePort();
    const config = parseNodeFlags({
      name: 'solo',
      dataDir,
      listenClientUrls: `http://127.0.0.1:${clientPort}`,
      listenPeerUrls: `http://127.0.0.1:${await freePort()}`,
    });
    server = await EtcdServer.start(config, {
      logger: silentLogger,
      onFatal: (error) => {
        throw error;
      },
    });
    const services = etcdServices();
    const address = `127.0.0.1:${clientPort}`;
    kv = new services.KV(address, credentials.createInsecure());
    auth = new services.Auth(address, credentials.createInsecure());
    watch = new services.Watch(address, credentials.createInsecure());
    lease = new services.Lease(address, credentials.createInsecure());
    lock = new services.Lock(address, credentials.createInsecure());
    maintenance = new services.Maintenance(address, credentials.createInsecure());
    await waitUntil(() => server.runtime.leader() !== undefined, 10_000);
    expect(await refusal(authenticate('root', 'x'))).toEqual([
      status.FAILED_PRECONDITION,
      'etcdserver: authentication is not enabled',
    ]);
    await call(auth, 'UserAdd', { name: 'root', password: 'rootpw' });
    await call(auth, 'UserGrantRole', { user: 'root', role: 'root' });
    await call(auth, 'UserAdd', { name: 'alice', password: 'alicepw' });
    await call(auth, 'RoleAdd', { name: 'app' });
    await call(auth, 'RoleGrantPermission', {
      name: 'app',
      perm: { permType: 'READWRITE', key: bytes('/app/'), range_end: bytes('/app0') },
    });
    await call(auth, 'UserGrantRole', { user: 'alice', role: 'app' });
    await call(kv, 'Put', { key: bytes('/other'), value: bytes('x') });
    await call(auth, 'AuthEnable', {});
    aliceToken = await authenticate('alice', 'alicepw');
  }, 30_000);

  afterAll(async () => {
    for (const client of [kv, auth, watch, lease, lock, maintenance]) client?.close();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  it('refuses an unknown token with UNAUTHENTICATED', async () => {
    expect(await refusal(call(kv, 'Range', { key: bytes('/app/x') }, 'bogus.1'))).toEqual([
      status.UNAUTHENTICATED,
      'etcdserver: invalid auth token',
    ]);
  });

  it('checks every op of a txn, nested ones included, and prev_kv as a read', async () => {
    const inside = { request_put: { key: bytes('/app/a'), value: bytes('1') } };
    const outside = { request_range: { key: bytes('/other') } };
    await call(kv, 'Txn', { success: [inside] }, aliceToken);
    expect(
      await refusal(
        call(kv, 'Txn', { success: [{ request_txn: { failure: [inside, outside] } }] }, aliceToken),
      ),
    ).toEqual([status.PERMISSION_DENIED, 'etcdserver: permission denied']);
    expect(
      await refusal(
        call(kv, 'Txn', { compare: [{ key: bytes('/other'), target: 'VERSION' }] }, aliceToken),
      ),
    ).toEqual([status.PERMISSION_DENIED, 'etcdserver: permission denied']);
  });

  it('refuses watches outside the permissions in the stream, as etcd does', async () => {
    const metadata = new Metadata();
    metadata.set('token', aliceToken);
    const stream = (
      watch as unknown as { Watch: (metadata: Metadata) => ClientDuplexStream<Message, Message> }
    ).Watch(metadata);
    const responses: Message[] = [];
    stream.on('data', (response: Message) => responses.push(response));
    stream.on('error', () => {});
    stream.write({ create_request: { key: bytes('/other') } });
    stream.write({ create_request: { key: bytes('/app/x') } });
    await waitUntil(() => responses.length >= 2, 5000);
    expect(responses[0]).toMatchObject({
      watch_id: '-1',
      created: true,
      canceled: true,
      cancel_reason: 'rpc error: code = PermissionDenied desc = etcdserver: permission denied',
    });
    expect(responses[1]).toMatchObject({ watch_id: '0', created: true, canceled: false });
    stream.cancel();
  });

  it('refuses Lock as etcd does (UNKNOWN), and Maintenance with the auth package text', async () => {
    expect(await refusal(call(lock, 'Lock', { name: bytes('/other/l') }, aliceToken))).toEqual([
      status.UNKNOWN,
      'etcdserver: permission denied',
    ]);
    expect(await refusal(call(maintenance, 'HashKV', { revision: 0 }, aliceToken))).toEqual([
      status.UNKNOWN,
      'auth: permission denied',
    ]);
    await call(maintenance, 'Status', {}, aliceToken); // not checked, as in etcd 3.4
  });

  it('refuses revoking a lease whose keys the user may not write', async () => {
    const rootToken = await authenticate('root', 'rootpw');
    const granted = await call(lease, 'LeaseGrant', { TTL: 60 }, rootToken);
    await call(
      kv,
      'Put',
      { key: bytes('/other/leased'), value: bytes('v'), lease: granted.ID },
      rootToken,
    );
    expect(await refusal(call(lease, 'LeaseRevoke', { ID: granted.ID }, aliceToken))).toEqual([
      status.PERMISSION_DENIED,
      'etcdserver: permission denied',
    ]);
    await call(lease, 'LeaseRevoke', { ID: granted.ID }, rootToken);
  });

  it('lets a user read itself and its roles, and ends its tokens when its password changes', async () => {
    expect((await call(auth, 'UserGet', { name: 'alice' }, aliceToken)).roles).toEqual(['app']);
    await call(auth, 'RoleGet', { role: 'app' }, aliceToken);
    expect(await refusal(call(auth, 'UserGet', { name: 'root' }, aliceToken))).toEqual([
      status.PERMISSION_DENIED,
      'etcdserver: permission denied',
    ]);
    const rootToken = await authenticate('root', 'rootpw');
    const old = await authenticate('alice', 'alicepw');
    await call(auth, 'UserChangePassword', { name: 'alice', password: 'new' }, rootToken);
    expect(await refusal(call(kv, 'Range', { key: bytes('/app/x') }, old))).toEqual([
      status.UNAUTHENTICATED,
      'etcdserver: invalid auth token',
    ]);
    expect(await refusal(authenticate('alice', 'alicepw'))).toEqual([
      status.INVALID_ARGUMENT,
      'etcdserver: authentication failed, invalid user ID or password',
    ]);
    aliceToken = await authenticate('alice', 'new');
    await call(kv, 'Range', { key: bytes('/app/x') }, aliceToken);
  });
});
