import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll } from 'vitest';
import { assert } from '../../core/assert.js';
import { type NodeFlags, parseNodeFlags } from '../config.js';
import { EtcdServer } from '../etcd-server.js';
import { silentLogger } from '../logger.js';
import { freePort, waitUntil } from './process-cluster.js';

/**
 * Test support: three (or more) members as EtcdServers in this process, with real TCP between
 * them and real fsync, data in a temporary directory. Cheaper than processes where a test needs
 * the API and the engine, not the CLI.
 */
export interface InProcessCluster {
  readonly servers: EtcdServer[];
  /** Each member's client port, in member order. */
  readonly clientPorts: readonly number[];
  /** `127.0.0.1:port` of every member, for a client's hosts. */
  readonly hosts: readonly string[];
  /** Stops every member still running and removes the data. */
  stop(): Promise<void>;
}

export async function startInProcessCluster(
  token: string,
  flags: Partial<NodeFlags> = {},
  names: readonly string[] = ['n1', 'n2', 'n3'],
): Promise<InProcessCluster> {
  const root = mkdtempSync(join(tmpdir(), `synod-${token}-`));
  const members = [];
  for (const name of names)
    members.push({ name, client: await freePort(), peer: await freePort() });
  const initialCluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');
  const servers: EtcdServer[] = [];
  for (const member of members)
    servers.push(
      await EtcdServer.start(
        parseNodeFlags({
          name: member.name,
          dataDir: join(root, member.name),
          listenClientUrls: `http://127.0.0.1:${member.client}`,
          listenPeerUrls: `http://127.0.0.1:${member.peer}`,
          initialCluster,
          initialClusterToken: token,
          ...flags,
        }),
        {
          logger: silentLogger,
          onFatal: (error) => {
            throw error;
          },
        },
      ),
    );
  await waitUntil(() => servers.every((server) => server.runtime.leader() !== undefined), 15_000);
  return {
    servers,
    clientPorts: members.map((member) => member.client),
    hosts: members.map((member) => `127.0.0.1:${member.client}`),
    stop: async () => {
      await Promise.all(servers.map((server) => server.stop()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * Starts a cluster before the tests of the enclosing `describe` and stops it after them, with an
 * `etcd3` client on every member. Read `cluster` and `client` inside the tests.
 */
export function useInProcessCluster(
  token: string,
  flags: Partial<NodeFlags> = {},
  names?: readonly string[],
): { readonly cluster: InProcessCluster; readonly client: Etcd3 } {
  let cluster: InProcessCluster | undefined;
  let client: Etcd3 | undefined;
  beforeAll(async () => {
    cluster = await startInProcessCluster(token, flags, names);
    client = new Etcd3({ hosts: [...cluster.hosts] });
  }, 30_000);
  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  }, 30_000);
  return {
    get cluster() {
      assert(cluster !== undefined, 'the cluster starts in beforeAll');
      return cluster;
    },
    get client() {
      assert(client !== undefined, 'the client starts in beforeAll');
      return client;
    },
  };
}
