import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveState } from './live-state.js';
import { ProcessCluster, builtCliExists, etcdctlExists } from './testing/process-cluster.js';

/** Three real `synod node` processes: their live states agree with each other and with etcdctl. */
const runnable = builtCliExists() && etcdctlExists();
if (!runnable)
  console.warn('skipping the live-state process test: it needs `npm run build` and etcdctl');

async function states(cluster: ProcessCluster): Promise<LiveState[]> {
  return Promise.all(
    cluster.httpUrls.map(
      async (url) => (await (await fetch(`${url}/synod/v1/state`)).json()) as LiveState,
    ),
  );
}

describe.runIf(runnable)('the live state of a 3-process raft cluster', () => {
  let cluster: ProcessCluster;

  beforeAll(async () => {
    cluster = await ProcessCluster.launch(3);
  }, 60_000);

  afterAll(async () => {
    await cluster?.destroy();
  }, 30_000);

  it('names the leader etcdctl names, with its followers and the messages between them', async () => {
    await cluster.etcdctl(['put', 'a', '1']);
    const leaderName = await cluster.waitReady();
    const all = await states(cluster);
    expect(all.map((state) => state.member.name)).toEqual(['n1', 'n2', 'n3']);
    for (const state of all) {
      expect(state.leader?.name).toBe(leaderName);
      expect(state.members.map((member) => member.name)).toEqual(['n1', 'n2', 'n3']);
    }
    const leader = all.find((state) => state.member.name === leaderName)!;
    expect(leader.role).toBe('leader');
    expect(new Set(all.map((state) => state.term)).size).toBe(1);
    expect(leader.followers.map((follower) => follower.name).sort()).toEqual(
      all
        .filter((state) => state !== leader)
        .map((state) => state.member.name)
        .sort(),
    );
    for (const follower of leader.followers) expect(follower.next).toBeGreaterThan(follower.match);
    expect(leader.committedIndex).toBeGreaterThanOrEqual(1);
    // Heartbeats flow from the leader to each follower and back.
    for (const state of all.filter((each) => each !== leader)) {
      const sentToFollower = leader.messages.sent[String(state.member.nodeId)] ?? {};
      const receivedFromLeader = state.messages.received[String(leader.member.nodeId)] ?? {};
      expect(Object.values(sentToFollower).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      expect(Object.values(receivedFromLeader).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    }
  });
});
