import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EtcdServer } from './etcd-server.js';
import { type InProcessCluster, startInProcessCluster } from './testing/in-process-cluster.js';
import { waitUntil } from './testing/process-cluster.js';

/**
 * etcd's --strict-reconfig-check: with one of three members stopped, removing a live voter would
 * leave one live member of two, no quorum. The check refuses it (etcd's "unhealthy cluster");
 * turned off, the change goes through, as etcd's does, and the operator owns the consequence.
 */
describe.each([
  { strict: 'true', refused: true },
  { strict: 'false', refused: false },
])('member remove with --strict-reconfig-check=$strict', ({ strict, refused }) => {
  let cluster: InProcessCluster;
  let client: Etcd3;

  beforeAll(async () => {
    cluster = await startInProcessCluster(`strict-${strict}`, { strictReconfigCheck: strict });
    // n3 is stopped below: the client talks to the other two.
    client = new Etcd3({ hosts: cluster.hosts.slice(0, 2) });
  }, 30_000);

  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  }, 30_000);

  it(refused ? 'refuses to leave too few live voters' : 'lets the operator do it', async () => {
    // Every member has published its name (is "started"), so the check that decides is the one on
    // live voters, not the one on started voters.
    await waitUntil(
      () =>
        cluster.servers.every((server) =>
          server.app.membership().members.every((member) => member.name.length > 0),
        ),
      10_000,
    );
    await cluster.servers[2]!.stop();
    // Let the others see n3's connection drop (etcd's health check looks at active peers).
    await waitUntil(() => cluster.servers[0]!.runtime.activeSince(2) === undefined, 5_000);
    // n3 may have led: wait for one of the other two to lead.
    const leads = (server: EtcdServer) => server.runtime.leader() === server.runtime.nodeId;
    await waitUntil(() => cluster.servers.slice(0, 2).some(leads), 10_000);
    const leader = cluster.servers.find(leads)!;
    const victim = cluster.servers.slice(0, 2).find((server) => server !== leader)!;
    const remove = client.cluster.memberRemove({ ID: victim.config.self.memberId.toString() });
    if (refused) await expect(remove).rejects.toThrow('etcdserver: unhealthy cluster');
    else await expect(remove).resolves.toBeDefined();
  });
});
