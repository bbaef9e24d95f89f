import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_ENGINES } from './engines.js';
import {
  type EtcdctlResult,
  ProcessCluster,
  builtCliExists,
  etcdctlExists,
  freePort,
  waitUntil,
} from './testing/process-cluster.js';

/**
 * Membership changes on real `synod node` processes, made with Debian's etcdctl 3.4 exactly as an
 * operator would: `member add` then start the new process with the lines it printed, `member
 * remove` (the removed process exits), learners and `member promote`, and etcd's refusals.
 * One cluster per engine goes through the steps in order: Raft's configuration changes and
 * Multi-Paxos's configurations chosen in the log must look the same to etcdctl.
 */
const runnable = builtCliExists() && etcdctlExists();
if (!runnable)
  console.warn(
    'skipping the membership tests: they need `npm run build` and etcdctl (apt-get install etcd-client)',
  );

const REMOVED_LINE = 'the member has been permanently removed from the cluster';

interface ListedMember {
  ID: string;
  name?: string;
  peerURLs: string[];
  clientURLs?: string[];
  isLearner?: boolean;
}

/** etcd's health check wants peers connected for 5 s: retry while it says "unhealthy". */
async function untilHealthy(run: () => Promise<EtcdctlResult>): Promise<EtcdctlResult> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const result = await run();
    if (!result.stderr.includes('unhealthy cluster') || Date.now() > deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Every engine that can change its membership goes through the same steps. */
const ENGINES = SERVER_ENGINES.filter((engine) => engine.canChangeMembership).map(
  (engine) => engine.name,
);

describe.runIf(runnable).each(ENGINES)('membership changes with etcdctl on %s', (engine) => {
  let cluster: ProcessCluster;
  /** The members that should be running now. */
  let live = ['n1', 'n2', 'n3'];

  /** etcdctl's output; when it failed, its errors and the members' logs, so an assertion shows why. */
  async function output(running: Promise<EtcdctlResult>): Promise<string> {
    const result = await running;
    if (result.code === 0) return result.stdout;
    const logs = live.map((name) => `--- ${name}\n${cluster.member(name).log.slice(-3000)}`);
    return `exit ${result.code}: ${result.stderr}\n${logs.join('\n')}`;
  }

  /**
   * A put right after a membership change, retried while the answer is one a client retries
   * (UNAVAILABLE): on a loaded machine an election may follow the change, and a just-promoted
   * member may not have applied its promotion yet.
   */
  async function putSoon(key: string, value: string, names = live): Promise<string> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const result = await ctl(['put', key, value], names);
      if (
        result.code === 0 ||
        !result.stderr.includes('code = Unavailable') ||
        Date.now() > deadline
      )
        return output(Promise.resolve(result));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  const ctl = (args: string[], names = live) => cluster.etcdctl(args, cluster.endpointsOf(names));

  async function list(names = live): Promise<ListedMember[]> {
    const result = await ctl(['member', 'list', '-w', 'json'], names);
    expect(result.stderr).toBe('');
    // etcdctl prints uint64 ids as JSON numbers, beyond 2^53: keep their digits.
    const json = result.stdout.replace(/"ID":(\d+)/g, '"ID":"$1"');
    return (JSON.parse(json) as { members: ListedMember[] }).members;
  }

  async function idOf(name: string): Promise<string> {
    const peer = `http://127.0.0.1:${cluster.member(name).peerPort}`;
    const member = (await list()).find((each) => each.peerURLs.includes(peer));
    if (member === undefined) throw new Error(`${name} is not listed`);
    return BigInt(member.ID).toString(16);
  }

  /** Until every live member applied the add of `name`. */
  async function untilEveryoneLists(name: string): Promise<void> {
    const peer = `http://127.0.0.1:${cluster.member(name).peerPort}`;
    const deadline = Date.now() + 10_000;
    for (const each of live)
      while (
        !(await list([each])).some((member) => member.peerURLs.includes(peer)) &&
        Date.now() < deadline
      )
        await new Promise((resolve) => setTimeout(resolve, 100));
  }

  async function add(name: string, learner = false, retry = true): Promise<EtcdctlResult> {
    const member = await cluster.newMember(name);
    const args = ['member', 'add', name, `--peer-urls=http://127.0.0.1:${member.peerPort}`];
    const run = () => ctl(learner ? [...args, '--learner'] : args);
    const result = await (retry ? untilHealthy(run) : run());
    // `member list` answers from the member's applied state, as etcd 3.4's does: a follower
    // applies the add once the leader's next message tells it the entry is committed.
    if (result.code === 0) await untilEveryoneLists(name);
    return result;
  }

  beforeAll(async () => {
    // Snapshots every 20 entries: the log a new member needs is compacted (one period behind the
    // newest snapshot), so it gets a snapshot.
    cluster = await ProcessCluster.launch(3, engine, { extraArgs: ['--snapshot-count', '20'] });
  }, 60_000);

  afterAll(async () => {
    await cluster?.destroy();
  }, 30_000);

  it('adds a member that joins with the printed lines, catches up and serves', async () => {
    await ctl(['put', 'before-n4', 'old']);
    // More than two snapshot periods: the log is compacted one period behind its newest snapshot.
    for (let batch = 0; batch < 10; batch++)
      await Promise.all(
        [0, 1, 2, 3, 4, 5].map((index) => ctl(['put', `filler-${batch}-${index}`, 'x'])),
      );
    const added = await add('n4');
    expect(added.stderr).toBe('');
    expect(added.stdout).toMatch(/^Member +[0-9a-f]+ added to cluster +[0-9a-f]+\n/);
    expect(added.stdout).toContain('ETCD_NAME="n4"');
    expect(added.stdout).toContain('ETCD_INITIAL_CLUSTER_STATE="existing"');
    const initialCluster = /ETCD_INITIAL_CLUSTER="([^"]+)"/.exec(added.stdout)?.[1] as string;
    expect(initialCluster.split(',')).toHaveLength(4);
    // Added, not started: no name, no client URLs (etcdctl prints "unstarted").
    const table = (await ctl(['member', 'list'])).stdout;
    expect(table).toContain(
      `unstarted, , http://127.0.0.1:${cluster.member('n4').peerPort}, , false`,
    );

    cluster.join('n4', initialCluster);
    live = ['n1', 'n2', 'n3', 'n4'];
    await waitUntil(() => cluster.member('n4').log.includes('published member attributes'), 20_000);
    const members = await list();
    expect(members.map((member) => member.name).sort()).toEqual(['n1', 'n2', 'n3', 'n4']);
    // Every member lists the same members.
    for (const name of live) expect(await list([name])).toEqual(members);

    expect(await output(ctl(['put', 'via-n4', 'new'], ['n4']))).toBe('OK\n');
    expect((await ctl(['get', 'via-n4'], ['n1'])).stdout).toBe('via-n4\nnew\n');
    expect((await ctl(['get', 'before-n4'], ['n4'])).stdout).toBe('before-n4\nold\n');
    expect(cluster.member('n4').log).toContain('loaded a snapshot of the state');
    // It came in pieces over the peer connection (piece-stream.ts), counted as etcd counts it.
    const metrics = await fetch(`http://127.0.0.1:${cluster.member('n4').clientPort}/metrics`);
    expect(await metrics.text()).toMatch(/\netcd_network_snapshot_receive_success [1-9]\d*\n/);

    // Restarted, the joined member resumes from its data directory and serves again.
    await cluster.stop('n4');
    cluster.start('n4');
    await cluster.waitReady(live);
    expect(cluster.member('n4').log).toContain('resuming the member kept in the data directory');
    expect(await putSoon('after-n4-restart', 'yes', ['n4'])).toBe('OK\n');
    expect((await ctl(['get', 'before-n4'], ['n4'])).stdout).toBe('before-n4\nold\n');
  }, 60_000);

  it('removes a follower: the removed process says so and exits, the others serve', async () => {
    // The leader's removal is the next-but-two test; here the cluster must not even re-elect.
    const leader = await cluster.waitReady(live);
    const victim = ['n2', 'n3', 'n1'].find((name) => name !== leader) as string;
    const asker = live.find((name) => name !== victim) as string;
    const removed = await untilHealthy(async () =>
      ctl(['member', 'remove', await idOf(victim)], [asker]),
    );
    expect(removed.stdout).toMatch(/^Member +[0-9a-f]+ removed from cluster +[0-9a-f]+\n$/);
    expect(await cluster.exited(victim, 15_000)).not.toBe(0);
    expect(cluster.member(victim).log).toContain(REMOVED_LINE);
    live = live.filter((name) => name !== victim);
    expect((await list()).map((member) => member.name).sort()).toEqual(live);
    expect(await putSoon('after-removal', 'yes')).toBe('OK\n');
    for (const name of live)
      expect((await ctl(['get', 'after-removal'], [name])).stdout).toBe('after-removal\nyes\n');

    // Started again, it finds its removal in its own log and stops, never rejoining.
    cluster.start(victim);
    expect(await cluster.exited(victim, 15_000)).not.toBe(0);
    expect(cluster.member(victim).log).toContain(REMOVED_LINE);
  }, 60_000);

  it('adds a learner, which serves only serializable reads, and promotes it once in sync', async () => {
    const added = await add('n5', true);
    expect(added.stderr).toBe('');
    const learnerId = await idOf('n5');
    const tooMany = await add('n6', true);
    expect(tooMany.stderr).toContain('Error: etcdserver: too many learner members in cluster');
    cluster.members.pop();
    // Never started, so nowhere near the leader's log.
    const early = await ctl(['member', 'promote', learnerId], [live[0] as string]);
    expect(early.stderr).toContain(
      'Error: etcdserver: can only promote a learner member which is in sync with leader',
    );

    const initialCluster = /ETCD_INITIAL_CLUSTER="([^"]+)"/.exec(added.stdout)?.[1] as string;
    cluster.join('n5', initialCluster);
    await waitUntil(() => cluster.member('n5').log.includes('published member attributes'), 20_000);
    expect((await list()).find((member) => member.name === 'n5')?.isLearner).toBe(true);
    const put = await ctl(['put', 'at-learner', 'no'], ['n5']);
    expect(put.stderr).toContain('Error: etcdserver: rpc not supported for learner');
    expect((await ctl(['get', 'after-removal', '--consistency=s'], ['n5'])).stdout).toBe(
      'after-removal\nyes\n',
    );

    // Sent to a follower or the leader alike: the runtime takes it to the leader.
    let promoted: EtcdctlResult | undefined;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      promoted = await ctl(['member', 'promote', learnerId]);
      if (promoted.code === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(promoted?.stdout).toMatch(/^Member +[0-9a-f]+ promoted in cluster +[0-9a-f]+\n$/);
    live = [...live, 'n5'];
    expect((await list()).every((member) => member.isLearner !== true)).toBe(true);
    expect(await putSoon('at-n5', 'voter', ['n5'])).toBe('OK\n');

    // The membership is in the replicated state: a restarted member lists the same.
    const before = await list();
    const restarted = live[0] as string;
    await cluster.stop(restarted);
    cluster.start(restarted);
    await cluster.waitReady(live);
    expect(await list([restarted])).toEqual(before);
  }, 90_000);

  it("updates a member's peer URL; the others reach it there once it listens there", async () => {
    const leader = await cluster.waitReady(live);
    const moved = live.find((name) => name !== leader) as string;
    const member = cluster.member(moved);
    const id = await idOf(moved);
    const taken = `http://127.0.0.1:${cluster.member(leader).peerPort}`;
    const clash = await ctl(['member', 'update', id, `--peer-urls=${taken}`]);
    expect(clash.stderr).toContain('Error: etcdserver: Peer URLs already exists');
    const port = await freePort();
    // Asked of the leader: once it applies the update it dials the new URL, where nothing
    // listens yet, so the moved member (which answers only requests it has applied) may never
    // hear that the update is committed until it restarts there.
    const updated = await ctl(
      ['member', 'update', id, `--peer-urls=http://127.0.0.1:${port}`],
      [leader],
    );
    expect(updated.stdout).toMatch(/^Member +[0-9a-f]+ updated in cluster +[0-9a-f]+\n$/);
    await cluster.stop(moved);
    member.peerPort = port;
    cluster.start(moved);
    await ctl(['put', 'after-move', 'here'], [leader]);
    // A linearizable read at the moved member needs the leader to reach it at the new URL.
    expect((await ctl(['get', 'after-move'], [moved])).stdout).toBe('after-move\nhere\n');
    const listed = (await list()).find((each) => BigInt(each.ID).toString(16) === id);
    expect(listed?.peerURLs).toEqual([`http://127.0.0.1:${port}`]);
  }, 60_000);

  it('removes the leader; another member takes over', async () => {
    const leader = await cluster.waitReady(live);
    const removed = await untilHealthy(async () =>
      ctl(['member', 'remove', await idOf(leader)], [leader]),
    );
    expect(removed.stderr).toBe('');
    expect(await cluster.exited(leader, 20_000)).not.toBe(0);
    expect(cluster.member(leader).log).toContain(REMOVED_LINE);
    live = live.filter((name) => name !== leader);
    const next = await cluster.waitReady(live);
    expect(next).not.toBe(leader);
    expect(await putSoon('after-leader', 'ok')).toBe('OK\n');
    expect((await list()).length).toBe(3);
  }, 60_000);

  it("refuses bad changes with etcd's errors", async () => {
    const taken = `http://127.0.0.1:${cluster.member(live[0] as string).peerPort}`;
    // etcd checks the cluster's health before the request itself, so wait that out first.
    const sameUrl = await untilHealthy(() => ctl(['member', 'add', 'x', `--peer-urls=${taken}`]));
    expect(sameUrl.stderr).toContain('Error: etcdserver: Peer URLs already exists');
    const unknown = await ctl(['member', 'remove', 'abcdef12345']);
    expect(unknown.stderr).toContain('Error: etcdserver: member not found');
    const voter = await ctl(['member', 'promote', await idOf(live[0] as string)]);
    expect(voter.stderr).toContain('Error: etcdserver: can only promote a learner member');
    const unix = await untilHealthy(() =>
      ctl(['member', 'add', 'x', '--peer-urls=unix://127.0.0.1:1']),
    );
    expect(unix.stderr).toContain('Error: etcdserver: given member URLs are invalid');
    const tls = await ctl(['member', 'add', 'x', '--peer-urls=https://127.0.0.1:1']);
    expect(tls.stderr).toContain("but this cluster's members talk plain TCP (http)");

    // A voter that never starts: a second one would find it unreachable.
    expect((await add('n7')).stderr).toBe('');
    await untilEveryoneLists('n7');
    expect((await add('n8', false, false)).stderr).toContain(
      'Error: etcdserver: unhealthy cluster',
    );
    cluster.members.pop();
    // Voters: two started and n7; removing one started leaves one started of two.
    const [first, second] = live as [string, string];
    const leader = await cluster.waitReady(live);
    const victim = first === leader ? second : first;
    const keeper = live.find((name) => name !== victim) as string;
    const removed = await untilHealthy(async () =>
      ctl(['member', 'remove', await idOf(victim)], [keeper]),
    );
    expect(removed.stderr).toBe('');
    await cluster.exited(victim, 15_000);
    live = live.filter((name) => name !== victim);
    const last = await ctl(['member', 'remove', await idOf(live[0] as string)]);
    expect(last.stderr).toContain(
      'Error: etcdserver: re-configuration failed due to not enough started members',
    );

    // Joining without `member add` first: refused at start, naming the difference.
    const stranger = await cluster.newMember('n9');
    const flags = [...live, 'n9'].map(
      (name) => `${name}=http://127.0.0.1:${cluster.member(name).peerPort}`,
    );
    cluster.join('n9', flags.join(','));
    expect(await cluster.exited('n9', 15_000)).toBe(2);
    expect(stranger.log).toContain(
      `--initial-cluster lists peer URLs the cluster does not have: http://127.0.0.1:${stranger.peerPort}`,
    );
  }, 60_000);
});
