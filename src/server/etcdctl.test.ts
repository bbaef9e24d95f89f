import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_ENGINES } from './engines.js';
import {
  type ProcessMember,
  ProcessCluster,
  builtCliExists,
  etcdctlExists,
  waitUntil,
} from './testing/process-cluster.js';

/**
 * A 3-process cluster on real TCP and real fsync, driven by Debian's etcdctl 3.4 exactly as an
 * operator would; the expected output is etcdctl's own.
 */
const runnable = builtCliExists() && etcdctlExists();
if (!runnable)
  console.warn(
    'skipping the etcdctl tests: they need `npm run build` and etcdctl (apt-get install etcd-client)',
  );

const engines = SERVER_ENGINES.map((engine) => engine.name);

describe.runIf(runnable).each(engines)('a 3-process %s cluster with etcdctl', (engine) => {
  let cluster: ProcessCluster;

  beforeAll(async () => {
    cluster = await ProcessCluster.create(3, engine);
    cluster.startAll();
    await cluster.waitReady();
  }, 60_000);

  afterAll(async () => {
    await cluster?.destroy();
  }, 30_000);

  it('puts, gets and deletes with etcdctl output', async () => {
    expect((await cluster.etcdctl(['put', 'greeting', 'hello'])).stdout).toBe('OK\n');
    expect((await cluster.etcdctl(['get', 'greeting'])).stdout).toBe('greeting\nhello\n');
    await cluster.etcdctl(['put', 'greeting2', 'hi']);
    expect((await cluster.etcdctl(['get', 'greeting', '--prefix', '--keys-only'])).stdout).toBe(
      'greeting\n\ngreeting2\n\n',
    );
    expect((await cluster.etcdctl(['get', 'greeting', '--prefix', '--limit=1'])).stdout).toBe(
      'greeting\nhello\n',
    );
    const json = JSON.parse((await cluster.etcdctl(['get', 'greeting', '-w', 'json'])).stdout);
    expect(json.kvs[0].version).toBe(1);
    expect(json.header.revision).toBeGreaterThan(1);
    expect(json.header.raft_term).toBeGreaterThanOrEqual(1);
    expect((await cluster.etcdctl(['del', 'greeting', '--prefix'])).stdout).toBe('2\n');
    expect((await cluster.etcdctl(['get', 'greeting'])).stdout).toBe('');
  }, 60_000);

  it('reads an acknowledged write back from every member', async () => {
    await cluster.etcdctl(['put', 'everywhere', 'yes']);
    for (const member of cluster.members) {
      const endpoint = `127.0.0.1:${member.clientPort}`;
      const linearizable = await cluster.etcdctl(['get', 'everywhere'], endpoint);
      expect(linearizable.stdout).toBe('everywhere\nyes\n');
    }
  }, 60_000);

  it('runs a txn: compare, then the success branch', async () => {
    await cluster.etcdctl(['put', 'txn-key', 'v1']);
    const result = await cluster.etcdctl(
      ['txn'],
      undefined,
      'value("txn-key") = "v1"\n\nput txn-key v2\n\nput txn-key never\n\n',
    );
    expect(result.stdout).toBe('SUCCESS\n\nOK\n');
    expect((await cluster.etcdctl(['get', 'txn-key', '--print-value-only'])).stdout).toBe('v2\n');
  }, 60_000);

  it('watches a prefix and sees puts and deletes in order', async () => {
    const start = JSON.parse((await cluster.etcdctl(['put', 'w0', 'x', '-w', 'json'])).stdout);
    const watch = cluster.spawnEtcdctl([
      'watch',
      '--prefix',
      'w/',
      `--rev=${start.header.revision + 1}`,
    ]);
    try {
      await cluster.etcdctl(['put', 'w/a', '1']);
      await cluster.etcdctl(['put', 'w/b', '2']);
      await cluster.etcdctl(['del', 'w/a']);
      const expected = 'PUT\nw/a\n1\nPUT\nw/b\n2\nDELETE\nw/a\n\n';
      await waitUntil(() => watch.output().length >= expected.length, 15_000);
      expect(watch.output()).toBe(expected);
    } finally {
      watch.kill();
    }
  }, 60_000);

  it('hands a lock to the next waiter when its holder exits (etcdctl lock)', async () => {
    const first = cluster.spawnEtcdctl(['lock', 'mylock']);
    const second = cluster.spawnEtcdctl(['lock', 'mylock']);
    try {
      const printed = (lock: { output: () => string }) => lock.output().endsWith('\n\n');
      await waitUntil(() => printed(first) || printed(second), 15_000);
      // Whichever got there first holds it; the other waits while it does.
      const [holder, waiter] = printed(first) ? [first, second] : [second, first];
      // etcdctl lock prints the key it holds, then its (empty) value.
      expect(holder.output()).toMatch(/^mylock\/[0-9a-f]+\n\n$/);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(waiter.output()).toBe('');
      holder.kill('SIGINT'); // etcdctl releases the lock (revokes its session lease) on SIGINT
      await waitUntil(() => printed(waiter), 15_000);
      expect(waiter.output()).toMatch(/^mylock\/[0-9a-f]+\n\n$/);
      expect(waiter.output()).not.toBe(holder.output());
    } finally {
      first.kill();
      second.kill();
    }
  }, 60_000);

  it('elects a leader and observes it (etcdctl elect)', async () => {
    const candidate = cluster.spawnEtcdctl(['elect', 'myelection', 'p1']);
    let observer: ReturnType<ProcessCluster['spawnEtcdctl']> | undefined;
    try {
      await waitUntil(() => candidate.output().includes('\n'), 15_000);
      expect(candidate.output()).toMatch(/^myelection\/[0-9a-f]+\np1\n$/);
      observer = cluster.spawnEtcdctl(['elect', '-l', 'myelection']);
      const watched = observer;
      await waitUntil(() => watched.output().split('\n').length > 2, 15_000);
      expect(watched.output()).toBe(candidate.output());
    } finally {
      candidate.kill('SIGINT');
      observer?.kill();
    }
  }, 60_000);

  it('grants a lease, attaches a key, keeps it alive, and revokes it', async () => {
    const granted = await cluster.etcdctl(['lease', 'grant', '60']);
    const match = /^lease ([0-9a-f]+) granted with TTL\(60s\)\n$/.exec(granted.stdout);
    expect(match).not.toBeNull();
    const id = (match as RegExpExecArray)[1] as string;
    expect((await cluster.etcdctl(['put', 'leased', 'v', `--lease=${id}`])).stdout).toBe('OK\n');
    const ttl = await cluster.etcdctl(['lease', 'timetolive', id, '--keys']);
    expect(ttl.stdout).toMatch(
      new RegExp(
        `^lease ${id} granted with TTL\\(60s\\), remaining\\(\\d+s\\), attached keys\\(\\[leased\\]\\)\\n$`,
      ),
    );
    expect((await cluster.etcdctl(['lease', 'list'])).stdout).toContain(id);
    expect((await cluster.etcdctl(['lease', 'keep-alive', '--once', id])).stdout).toBe(
      `lease ${id} keepalived with TTL(60)\n`,
    );
    expect((await cluster.etcdctl(['lease', 'revoke', id])).stdout).toBe(`lease ${id} revoked\n`);
    expect((await cluster.etcdctl(['get', 'leased'])).stdout).toBe('');
    expect((await cluster.etcdctl(['lease', 'timetolive', id])).stdout).toBe(
      `lease ${id} already expired\n`,
    );
  }, 60_000);

  it('expires a lease on the leader and deletes its keys', async () => {
    const granted = await cluster.etcdctl(['lease', 'grant', '1']);
    const id = (/^lease ([0-9a-f]+) /.exec(granted.stdout) as RegExpExecArray)[1] as string;
    await cluster.etcdctl(['put', 'short-lived', 'v', `--lease=${id}`]);
    const deadline = Date.now() + 15_000;
    let value = 'short-lived\nv\n';
    while (value !== '' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      value = (await cluster.etcdctl(['get', 'short-lived'])).stdout;
    }
    expect(value).toBe('');
  }, 60_000);

  it('lists members and endpoint status as etcd does', async () => {
    const members = (await cluster.etcdctl(['member', 'list'])).stdout.trim().split('\n');
    expect(members).toHaveLength(3);
    for (const member of cluster.members) {
      expect(
        members.some((line) =>
          new RegExp(
            `^[0-9a-f]+, started, ${member.name}, http://127.0.0.1:${member.peerPort}, http://127.0.0.1:${member.clientPort}, false$`,
          ).test(line),
        ),
      ).toBe(true);
    }
    const status = JSON.parse((await cluster.etcdctl(['endpoint', 'status', '-w', 'json'])).stdout);
    expect(status).toHaveLength(3);
    const leaders = new Set(
      status.map((each: { Status: { leader: number } }) => each.Status.leader),
    );
    expect(leaders.size).toBe(1);
    expect((await cluster.etcdctl(['endpoint', 'health'])).code).toBe(0);
  }, 60_000);

  it('reports equal KV hashes on every member', async () => {
    await cluster.etcdctl(['put', 'hashed', 'value']);
    // A linearizable read on each member first, so each has applied the write.
    for (const member of cluster.members)
      await cluster.etcdctl(['get', 'hashed'], `127.0.0.1:${member.clientPort}`);
    const result = await cluster.etcdctl(['endpoint', 'hashkv', '-w', 'json']);
    const hashes = JSON.parse(result.stdout).map(
      (each: { HashKV: { hash: number } }) => each.HashKV.hash,
    );
    expect(hashes).toHaveLength(3);
    expect(new Set(hashes).size).toBe(1);
  }, 60_000);

  it('saves a snapshot (etcdctl snapshot save) from a follower and the leader', async () => {
    await cluster.etcdctl(['put', 'saved', 'value']);
    for (const member of cluster.members) {
      const file = join(member.dataDir, '..', `${member.name}-backup.db`);
      const saved = await cluster.etcdctl(
        ['snapshot', 'save', file],
        `127.0.0.1:${member.clientPort}`,
      );
      expect(saved.code, saved.stderr).toBe(0);
      expect(saved.stdout).toBe(`Snapshot saved at ${file}\n`);
      // etcd's shape: the image in 512-byte units, then the 32-byte SHA-256 etcdctl kept.
      expect(statSync(file).size % 512).toBe(32);
    }
  }, 60_000);

  it.runIf(engine === 'raft')(
    'moves leadership with move-leader',
    async () => {
      const leader = (await cluster.leader()) as string;
      const target = cluster.members.find((member) => member.name !== leader) as ProcessMember;
      const members = (await cluster.etcdctl(['member', 'list'])).stdout;
      const targetId = (
        new RegExp(`^([0-9a-f]+), started, ${target.name},`, 'm').exec(members) as RegExpExecArray
      )[1] as string;
      const moved = await cluster.etcdctl(
        ['move-leader', targetId],
        `127.0.0.1:${cluster.member(leader).clientPort}`,
      );
      expect(moved.stdout).toMatch(
        new RegExp(`^Leadership transferred from [0-9a-f]+ to ${targetId}\n$`),
      );
      expect(await cluster.leader()).toBe(target.name);
    },
    60_000,
  );

  it("refuses bad requests with etcd's errors", async () => {
    const missing = await cluster.etcdctl(['put', 'no-such-key', '--ignore-value']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('Error: etcdserver: key not found');
    const future = await cluster.etcdctl(['get', 'x', '--rev=1000000']);
    expect(future.stderr).toContain(
      'Error: etcdserver: mvcc: required revision is a future revision',
    );
    const lease = await cluster.etcdctl(['put', 'k', 'v', '--lease=1234']);
    expect(lease.stderr).toContain('Error: etcdserver: requested lease not found');
  }, 60_000);

  it('keeps accepting writes after the leader process is killed, and loses no acknowledged write', async () => {
    const acknowledged: string[] = [];
    for (let index = 0; index < 5; index++) {
      const result = await cluster.etcdctl(['put', `before-${index}`, String(index)]);
      if (result.code === 0) acknowledged.push(`before-${index}`);
    }
    const leader = (await cluster.leader()) as string;
    expect(leader).toBeDefined();
    await cluster.stop(leader, 'SIGKILL');
    const survivors = cluster.members
      .map((member) => member.name)
      .filter((name) => name !== leader);
    const endpoints = survivors
      .map((name) => `127.0.0.1:${cluster.member(name).clientPort}`)
      .join(',');
    const deadline = Date.now() + 30_000;
    let written = 0;
    for (let index = 0; written < 5 && Date.now() < deadline; index++) {
      const result = await cluster.etcdctl(['put', `after-${index}`, String(index)], endpoints);
      if (result.code === 0) {
        acknowledged.push(`after-${index}`);
        written++;
      }
    }
    expect(written).toBe(5);
    const newLeader = await cluster.waitReady(survivors);
    expect(newLeader).not.toBe(leader);
    for (const key of acknowledged) {
      expect(
        (await cluster.etcdctl(['get', key, '--print-value-only'], endpoints)).stdout,
      ).not.toBe('');
    }
    cluster.start(leader);
    await cluster.waitReady();
  }, 90_000);

  it('keeps every key when the whole cluster restarts', async () => {
    await cluster.etcdctl(['put', 'durable', 'across restarts']);
    const before = (await cluster.etcdctl(['get', '', '--prefix', '-w', 'json'])).stdout;
    await cluster.stopAll('SIGTERM');
    cluster.startAll();
    await cluster.waitReady();
    expect((await cluster.etcdctl(['get', 'durable', '--print-value-only'])).stdout).toBe(
      'across restarts\n',
    );
    const after = JSON.parse((await cluster.etcdctl(['get', '', '--prefix', '-w', 'json'])).stdout);
    expect(after.kvs).toEqual(JSON.parse(before).kvs);
  }, 90_000);
});
