import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNodeFlags } from './config.js';
import { EtcdServer } from './etcd-server.js';
import { silentLogger } from './logger.js';
import { freePort, waitUntil } from './testing/process-cluster.js';

/**
 * Several URLs per flag, as etcd deployments write them (`--listen-client-urls
 * http://10.0.1.10:2379,http://127.0.0.1:2379`): a member serves the whole API on every client
 * URL and /health on every metrics URL, and dials a peer at its next peer URL when one does not
 * answer. Here each member advertises a dead peer URL first, so the cluster forms only if the
 * members move on to the live one.
 */
describe('a cluster whose members have several URLs each', () => {
  const servers: EtcdServer[] = [];
  const clients: Etcd3[] = [];
  let root: string;
  const url = (port: number) => `http://127.0.0.1:${port}`;
  const members: {
    name: string;
    clients: number[];
    metrics: number[];
    dead: number;
    peer: number;
  }[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'synod-urls-'));
    for (const name of ['n1', 'n2', 'n3'])
      members.push({
        name,
        clients: [await freePort(), await freePort()],
        metrics: [await freePort(), await freePort()],
        dead: await freePort(),
        peer: await freePort(),
      });
    const initialCluster = members
      .flatMap((m) => [`${m.name}=${url(m.dead)}`, `${m.name}=${url(m.peer)}`])
      .join(',');
    for (const member of members) {
      const config = parseNodeFlags({
        name: member.name,
        dataDir: join(root, member.name),
        listenClientUrls: member.clients.map(url).join(','),
        listenMetricsUrls: member.metrics.map(url).join(','),
        listenPeerUrls: url(member.peer),
        initialAdvertisePeerUrls: `${url(member.dead)},${url(member.peer)}`,
        initialCluster,
        initialClusterToken: 'urls-test',
      });
      servers.push(
        await EtcdServer.start(config, {
          logger: silentLogger,
          onFatal: (error) => {
            throw error;
          },
        }),
      );
    }
    await waitUntil(() => servers.every((server) => server.runtime.leader() !== undefined), 20_000);
  }, 40_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await Promise.all(servers.map((server) => server.stop()));
    rmSync(root, { recursive: true, force: true });
  }, 30_000);

  const clientOn = (ports: number[]) => {
    const client = new Etcd3({ hosts: ports.map((port) => `127.0.0.1:${port}`) });
    clients.push(client);
    return client;
  };

  it('elects a leader by dialing each peer at its second URL, the first being dead', () => {
    const leaders = new Set(servers.map((server) => server.runtime.leader()));
    expect(leaders.size).toBe(1);
    expect([...leaders][0]).toBeDefined();
  });

  it('serves the API on every client URL: a write on one is read on another', async () => {
    await clientOn([members[0]!.clients[1]!]).put('k').value('v');
    expect(await clientOn([members[2]!.clients[0]!]).get('k').string()).toBe('v');
    expect(await clientOn([members[1]!.clients[1]!]).get('k').string()).toBe('v');
  });

  it('lists every client and peer URL of each member', async () => {
    // A member's client URLs are listed once its publication (through the log) is applied here.
    await waitUntil(
      () => servers[0]!.app.membership().members.every((member) => member.clientUrls.length > 0),
      10_000,
    );
    const { members: listed } = await clientOn([members[0]!.clients[0]!]).cluster.memberList({});
    const n2 = listed.find((member) => member.name === 'n2');
    expect(n2?.peerURLs).toEqual([url(members[1]!.dead), url(members[1]!.peer)]);
    expect(n2?.clientURLs).toEqual(members[1]!.clients.map(url));
  });

  it('answers /health on every metrics URL', async () => {
    for (const port of members[0]!.metrics) {
      const response = await fetch(`${url(port)}/health`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ health: 'true' });
    }
  });
});
