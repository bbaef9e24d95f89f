import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Etcd3,
  EtcdAuthenticationFailedError,
  EtcdPermissionDeniedError,
  EtcdRoleExistsError,
  EtcdUserExistsError,
} from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNodeFlags } from './config.js';
import { EtcdServer } from './etcd-server.js';
import { silentLogger } from './logger.js';
import { freePort, waitUntil } from './testing/process-cluster.js';

/**
 * The `etcd3` npm client's users, roles and password auth, unchanged: it maps etcd's error texts to
 * its own error classes, so those classes coming back show the texts are etcd's.
 */
describe('auth with the etcd3 npm client', () => {
  let server: EtcdServer;
  let dataDir: string;
  let hosts: string;
  let admin: Etcd3;
  const clients: Etcd3[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'synod-etcd3-auth-'));
    const clientPort = await freePort();
    hosts = `127.0.0.1:${clientPort}`;
    const config = parseNodeFlags({
      name: 'solo',
      dataDir,
      listenClientUrls: `http://${hosts}`,
      listenPeerUrls: `http://127.0.0.1:${await freePort()}`,
    });
    server = await EtcdServer.start(config, {
      logger: silentLogger,
      onFatal: (error) => {
        throw error;
      },
    });
    await waitUntil(() => server.runtime.leader() !== undefined, 10_000);
    admin = new Etcd3({ hosts });
    clients.push(admin);
  }, 30_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  const as = (username: string, password: string) => {
    const client = new Etcd3({ hosts, auth: { username, password } });
    clients.push(client);
    return client;
  };

  it('manages users and roles, then enforces a read-only prefix', async () => {
    await admin.user('root').create('rootpw');
    await admin.user('root').addRole('root');
    await expect(admin.user('root').create('again')).rejects.toBeInstanceOf(EtcdUserExistsError);
    const reader = await admin.role('reader').create();
    await expect(admin.role('reader').create()).rejects.toBeInstanceOf(EtcdRoleExistsError);
    await reader.grant({ permission: 'Read', range: admin.range({ prefix: '/app/' }) });
    expect(await reader.permissions()).toEqual([
      { permission: 'Read', range: admin.range({ prefix: '/app/' }) },
    ]);
    await admin.user('alice').create('alicepw');
    await admin.user('alice').addRole('reader');
    expect((await admin.user('alice').roles()).map((role) => role.name)).toEqual(['reader']);
    expect((await admin.getUsers()).map((user) => user.name)).toEqual(['alice', 'root']);
    await admin.put('/app/x').value('1');
    await admin.auth.authEnable();

    const root = as('root', 'rootpw');
    await root.put('/app/y').value('2');
    const alice = as('alice', 'alicepw');
    expect(await alice.get('/app/x').string()).toBe('1');
    await expect(alice.put('/app/x').value('3')).rejects.toBeInstanceOf(EtcdPermissionDeniedError);
    await expect(alice.get('/elsewhere').string()).rejects.toBeInstanceOf(
      EtcdPermissionDeniedError,
    );
    await expect(as('alice', 'wrong').get('/app/x').string()).rejects.toBeInstanceOf(
      EtcdAuthenticationFailedError,
    );
    await root.auth.authDisable();
    expect(await admin.get('/app/y').string()).toBe('2');
  });
});
