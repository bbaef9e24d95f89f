import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client, ClientDuplexStream, ClientReadableStream, ServiceError } from '@grpc/grpc-js';
import { Metadata, credentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNodeFlags } from './config.js';
import { EtcdServer } from './etcd-server.js';
import { etcdServices } from './grpc/proto.js';
import { silentLogger } from './logger.js';
import { type Message, unaryCall as call } from './testing/grpc-call.js';
import { freePort, waitUntil } from './testing/process-cluster.js';

async function failure(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('expected the call to fail');
}

const bytes = (text: string) => Buffer.from(text);

/** A member in this process, spoken to with a plain @grpc/grpc-js client on etcd's .proto. */
describe('the etcd v3 API through a plain gRPC client', () => {
  let server: EtcdServer;
  let dataDir: string;
  let kv: Client;
  let watch: Client;
  let lease: Client;
  let maintenance: Client;
  let lock: Client;
  let election: Client;
  let metricsPort: number;
  let clientPort: number;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'synod-grpc-'));
    clientPort = await freePort();
    const peerPort = await freePort();
    metricsPort = await freePort();
    const config = parseNodeFlags({
      name: 'solo',
      listenMetricsUrls: `http://127.0.0.1:${metricsPort}`,
      dataDir,
      listenClientUrls: `http://127.0.0.1:${clientPort}`,
      listenPeerUrls: `http://127.0.0.1:${peerPort}`,
    });
    server = await EtcdServer.start(config, {
      logger: silentLogger,
      onFatal: (error) => {
        throw error;
      },
      progressNotifyIntervalMs: 200,
    });
    const services = etcdServices();
    const address = `127.0.0.1:${clientPort}`;
    kv = new services.KV(address, credentials.createInsecure());
    watch = new services.Watch(address, credentials.createInsecure());
    lease = new services.Lease(address, credentials.createInsecure());
    maintenance = new services.Maintenance(address, credentials.createInsecure());
    lock = new services.Lock(address, credentials.createInsecure());
    election = new services.Election(address, credentials.createInsecure());
    await waitUntil(() => server.runtime.leader() !== undefined, 10_000);
  }, 30_000);

  afterAll(async () => {
    for (const client of [kv, watch, lease, maintenance, lock, election]) client?.close();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  it('answers with etcd response headers and revisions', async () => {
    const put = await call(kv, 'Put', { key: bytes('a'), value: bytes('1') });
    const header = put.header as Message;
    expect(header.cluster_id).toBe(server.config.clusterId.toString());
    expect(header.member_id).toBe(server.config.self.memberId.toString());
    expect(Number(header.raft_term)).toBeGreaterThanOrEqual(1);
    const revision = Number(header.revision);
    const again = await call(kv, 'Put', { key: bytes('a'), value: bytes('2'), prev_kv: true });
    expect(Number((again.header as Message).revision)).toBe(revision + 1);
    expect((again.prev_kv as Message).value).toEqual(bytes('1'));
    const range = await call(kv, 'Range', { key: bytes('a') });
    const kvs = range.kvs as Message[];
    expect(kvs).toHaveLength(1);
    expect(Number(kvs[0]?.create_revision)).toBe(revision);
    expect(Number(kvs[0]?.mod_revision)).toBe(revision + 1);
    expect(Number(kvs[0]?.version)).toBe(2);
    const serializable = await call(kv, 'Range', { key: bytes('a'), serializable: true });
    expect((serializable.kvs as Message[])[0]?.value).toEqual(bytes('2'));
  });

  it('runs txns, nested ones included, and refuses duplicate keys', async () => {
    const result = await call(kv, 'Txn', {
      compare: [{ key: bytes('t'), target: 'VERSION', result: 'EQUAL', version: 0 }],
      success: [
        { request_put: { key: bytes('t'), value: bytes('created') } },
        { request_txn: { success: [{ request_range: { key: bytes('a') } }] } },
      ],
    });
    expect(result.succeeded).toBe(true);
    const nested = ((result.responses as Message[])[1]?.response_txn as Message)
      .responses as Message[];
    expect(((nested[0]?.response_range as Message).kvs as Message[])[0]?.key).toEqual(bytes('a'));
    // As etcd 3.4: headers inside a txn carry only the revision, and a nested txn's is 0.
    const header = result.header as Message;
    const inner = ((result.responses as Message[])[0]?.response_put as Message).header as Message;
    expect(inner).toMatchObject({ cluster_id: '0', member_id: '0', raft_term: '0' });
    expect(inner.revision).toBe(header.revision);
    expect(
      (((result.responses as Message[])[1]?.response_txn as Message).header as Message).revision,
    ).toBe('0');
    expect((nested[0]?.response_range as Message).header).toMatchObject({
      revision: header.revision,
      member_id: '0',
    });
    const duplicate = await failure(
      call(kv, 'Txn', {
        success: [
          { request_put: { key: bytes('d'), value: bytes('1') } },
          { request_put: { key: bytes('d'), value: bytes('2') } },
        ],
      }),
    );
    expect(duplicate.code).toBe(status.INVALID_ARGUMENT);
    expect(duplicate.details).toBe('etcdserver: duplicate key given in txn request');
  });

  it('refuses a request above 1.5 MiB with etcd\'s "request is too large"', async () => {
    const large = await failure(
      call(kv, 'Put', { key: bytes('big'), value: Buffer.alloc(1.6 * 1024 * 1024) }),
    );
    expect(large.code).toBe(status.INVALID_ARGUMENT);
    expect(large.details).toBe('etcdserver: request is too large');
  });

  it('refuses invalid requests before proposing them', async () => {
    const empty = await failure(call(kv, 'Put', { key: bytes(''), value: bytes('x') }));
    expect(empty.code).toBe(status.INVALID_ARGUMENT);
    expect(empty.details).toBe('etcdserver: key is not provided');
    const future = await failure(call(kv, 'Range', { key: bytes('a'), revision: 1_000_000 }));
    expect(future.code).toBe(status.OUT_OF_RANGE);
    expect(future.details).toBe('etcdserver: mvcc: required revision is a future revision');
  });

  it('numbers watches from 0 per stream and delivers events in revision order', async () => {
    const stream = (
      watch as unknown as { Watch: () => ClientDuplexStream<Message, Message> }
    ).Watch();
    const responses: Message[] = [];
    stream.on('data', (response: Message) => responses.push(response));
    stream.on('error', () => {}); // CANCELLED when the client closes at the end
    stream.write({ create_request: { key: bytes('w/'), range_end: bytes('w0') } });
    stream.write({ create_request: { key: bytes('w/x'), prev_kv: true } });
    await waitUntil(() => responses.length >= 2, 5000);
    expect(responses.map((response) => [Number(response.watch_id), response.created])).toEqual([
      [0, true],
      [1, true],
    ]);
    await call(kv, 'Put', { key: bytes('w/x'), value: bytes('1') });
    await call(kv, 'Put', { key: bytes('w/x'), value: bytes('2') });
    await call(kv, 'DeleteRange', { key: bytes('w/x') });
    await waitUntil(
      () => responses.flatMap((r) => (r.events as Message[]) ?? []).length >= 6,
      5000,
    );
    const eventsOf = (id: number) =>
      responses
        .filter((response) => Number(response.watch_id) === id)
        .flatMap((response) => response.events as Message[]);
    const revisions = eventsOf(0).map((event) => Number((event.kv as Message).mod_revision));
    expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
    expect(eventsOf(0).map((event) => event.type)).toEqual(['PUT', 'PUT', 'DELETE']);
    expect(eventsOf(0)[1]?.prev_kv).toBeNull(); // watch 0 did not ask for prev_kv
    expect((eventsOf(1)[1]?.prev_kv as Message).value).toEqual(bytes('1'));
    stream.write({ cancel_request: { watch_id: 1 } });
    await waitUntil(() => responses.some((r) => r.canceled === true), 5000);
    expect(responses.find((r) => r.canceled === true)?.watch_id).toBe('1');
    stream.end();
  });

  it('cancels a watch that starts below the compacted revision, with compact_revision', async () => {
    const put = await call(kv, 'Put', { key: bytes('c'), value: bytes('1') });
    const revision = Number((put.header as Message).revision);
    await call(kv, 'Put', { key: bytes('c'), value: bytes('2') });
    await call(kv, 'Compact', { revision: revision + 1 });
    const stream = (
      watch as unknown as { Watch: () => ClientDuplexStream<Message, Message> }
    ).Watch();
    const responses: Message[] = [];
    stream.on('data', (response: Message) => responses.push(response));
    stream.on('error', () => {}); // CANCELLED when the client closes at the end
    stream.write({ create_request: { key: bytes('c'), start_revision: revision } });
    await waitUntil(() => responses.length >= 2, 5000);
    expect(responses[0]?.created).toBe(true);
    expect(responses[1]?.canceled).toBe(true);
    expect(Number(responses[1]?.compact_revision)).toBe(revision + 1);
    const compacted = await failure(call(kv, 'Range', { key: bytes('c'), revision }));
    expect(compacted.details).toBe('etcdserver: mvcc: required revision has been compacted');
    stream.end();
  });

  it('sends progress notifications to a watch that asked, and on request', async () => {
    const stream = (
      watch as unknown as { Watch: () => ClientDuplexStream<Message, Message> }
    ).Watch();
    const responses: Message[] = [];
    stream.on('data', (response: Message) => responses.push(response));
    stream.on('error', () => {}); // CANCELLED when the client closes at the end
    stream.write({ create_request: { key: bytes('quiet'), progress_notify: true } });
    await waitUntil(() => responses.length >= 2, 5000);
    const progress = responses[1] as Message;
    expect(progress.events).toEqual([]);
    expect(Number((progress.header as Message).revision)).toBeGreaterThan(1);
    stream.write({ progress_request: {} });
    await waitUntil(() => responses.length >= 3, 5000);
    stream.end();
  });

  it("follows etcd's conventions for unknown leases", async () => {
    const ttl = await call(lease, 'LeaseTimeToLive', { ID: 42 });
    expect(Number(ttl.TTL)).toBe(-1);
    const revoke = await failure(call(lease, 'LeaseRevoke', { ID: 42 }));
    expect(revoke.code).toBe(status.NOT_FOUND);
    expect(revoke.details).toBe('etcdserver: requested lease not found');
    const granted = await call(lease, 'LeaseGrant', { TTL: 30 });
    expect(Number(granted.TTL)).toBe(30);
    const stream = (
      lease as unknown as { LeaseKeepAlive: () => ClientDuplexStream<Message, Message> }
    ).LeaseKeepAlive();
    const responses: Message[] = [];
    stream.on('data', (response: Message) => responses.push(response));
    stream.on('error', () => {}); // CANCELLED when the client closes at the end
    stream.write({ ID: granted.ID });
    stream.write({ ID: 42 });
    await waitUntil(() => responses.length >= 2, 5000);
    expect(responses.map((response) => Number(response.TTL))).toEqual([30, 0]);
    stream.end();
  });

  it('locks and unlocks with the v3lock service, and refuses an unknown lease', async () => {
    const unknown = await failure(call(lock, 'Lock', { name: bytes('l'), lease: 42 }));
    // etcd's v3lock passes its in-process client's error on, which grpc-go sends as UNKNOWN.
    expect(unknown.code).toBe(status.UNKNOWN);
    expect(unknown.details).toBe('etcdserver: requested lease not found');
    const a = await call(lease, 'LeaseGrant', { TTL: 30 });
    const b = await call(lease, 'LeaseGrant', { TTL: 30 });
    const held = await call(lock, 'Lock', { name: bytes('l'), lease: a.ID });
    const keyA = `l/${BigInt(a.ID as string).toString(16)}`;
    expect((held.key as Buffer).toString()).toBe(keyA);
    expect(Number((held.header as Message).revision)).toBeGreaterThan(0);
    let second: Message | undefined;
    const waiting = call(lock, 'Lock', { name: bytes('l'), lease: b.ID }).then((response) => {
      second = response;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(second).toBeUndefined();
    const unlocked = await call(lock, 'Unlock', { key: held.key });
    expect(Number((unlocked.header as Message).revision)).toBeGreaterThan(0);
    await waiting;
    expect((second?.key as Buffer).toString()).toBe(`l/${BigInt(b.ID as string).toString(16)}`);
    await call(lock, 'Unlock', { key: second?.key });
  });

  it('campaigns, proclaims, observes and resigns with the v3election service', async () => {
    const noLeader = await failure(call(election, 'Leader', { name: bytes('e') }));
    expect(noLeader.details).toBe('election: no leader');
    const missing = await failure(call(election, 'Resign', {}));
    expect(missing.details).toBe('"leader" field must be provided');
    const a = await call(lease, 'LeaseGrant', { TTL: 30 });
    const b = await call(lease, 'LeaseGrant', { TTL: 30 });
    const won = await call(election, 'Campaign', {
      name: bytes('e'),
      lease: a.ID,
      value: bytes('p1'),
    });
    const leaderA = won.leader as Message;
    expect((leaderA.key as Buffer).toString()).toBe(`e/${BigInt(a.ID as string).toString(16)}`);
    const observed: string[] = [];
    const stream = (
      election as unknown as { Observe: (request: Message) => ClientReadableStream<Message> }
    ).Observe({ name: bytes('e') });
    stream.on('data', (response: Message) =>
      observed.push(((response.kv as Message).value as Buffer).toString()),
    );
    stream.on('error', () => {}); // CANCELLED when the test cancels it
    await waitUntil(() => observed.length >= 1, 5000);
    await call(election, 'Proclaim', { leader: leaderA, value: bytes('p1b') });
    let second: Message | undefined;
    const waiting = call(election, 'Campaign', {
      name: bytes('e'),
      lease: b.ID,
      value: bytes('p2'),
    }).then((response) => {
      second = response;
    });
    await waitUntil(() => observed.length >= 2, 5000);
    expect(second).toBeUndefined();
    const leader = await call(election, 'Leader', { name: bytes('e') });
    expect(((leader.kv as Message).value as Buffer).toString()).toBe('p1b');
    await call(election, 'Resign', { leader: leaderA });
    await waiting;
    await waitUntil(() => observed.length >= 3, 5000);
    expect(observed).toEqual(['p1', 'p1b', 'p2']);
    const stale = await failure(call(election, 'Proclaim', { leader: leaderA, value: bytes('x') }));
    expect(stale.details).toBe('election: not leader');
    stream.cancel();
    await call(election, 'Resign', { leader: second?.leader });
  });

  it('serves /health, /version and Prometheus /metrics over HTTP', async () => {
    const base = `http://127.0.0.1:${metricsPort}`;
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ health: 'true', reason: '' });
    expect(await (await fetch(`${base}/version`)).json()).toEqual({
      etcdserver: '3.4.0',
      etcdcluster: '3.4.0',
    });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('# TYPE etcd_server_has_leader gauge\netcd_server_has_leader 1\n');
    expect(metrics).toMatch(/\netcd_disk_wal_fsync_duration_seconds_count [1-9]\d*\n/);
    expect(metrics).toMatch(/\netcd_server_proposals_applied_total [1-9]\d*\n/);
    expect((await fetch(`${base}/nowhere`)).status).toBe(404);
  });

  it('serves the HTTP endpoints on the gRPC client port, with a WAL fsync histogram that grows', async () => {
    const base = `http://127.0.0.1:${clientPort}`;
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ health: 'true', reason: '' });
    const before = parseMetrics(await (await fetch(`${base}/metrics`)).text());
    const fsync = 'etcd_disk_wal_fsync_duration_seconds';
    const buckets = [...before.keys()].filter((name) => name.startsWith(`${fsync}_bucket{`));
    // etcd's buckets: 1 ms doubling to 8.192 s, then +Inf.
    expect(buckets).toHaveLength(15);
    expect(buckets[0]).toBe(`${fsync}_bucket{le="0.001"}`);
    expect(buckets).toContain(`${fsync}_bucket{le="8.192"}`);
    expect(before.get(`${fsync}_bucket{le="+Inf"}`)).toBe(before.get(`${fsync}_count`));
    for (let index = 0; index < 5; index++)
      await call(kv, 'Put', { key: Buffer.from(`metric-${index}`), value: Buffer.from('v') });
    const after = parseMetrics(await (await fetch(`${base}/metrics`)).text());
    for (const name of [`${fsync}_count`, 'etcd_server_proposals_applied_total'])
      expect(after.get(name), name).toBeGreaterThanOrEqual((before.get(name) ?? 0) + 5);
    expect(after.get('etcd_server_has_leader')).toBe(1);
    expect(after.get('etcd_mvcc_db_total_size_in_bytes')).toBeGreaterThan(0);
    expect(after.get('process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(after.has('nodejs_eventloop_lag_seconds')).toBe(true);
    const putsOk = (samples: Map<string, number>) =>
      [...samples]
        .filter(
          ([name]) =>
            name.startsWith('grpc_server_handled_total{') &&
            name.includes('grpc_method="Put"') &&
            name.includes('grpc_code="OK"'),
        )
        .reduce((sum, [, value]) => sum + value, 0);
    expect(putsOk(after)).toBeGreaterThanOrEqual(putsOk(before) + 5);

    // Streams are counted too, once each, with the code they ended with.
    const watchesEnded = (samples: Map<string, number>) =>
      samples.get(
        'grpc_server_handled_total{grpc_type="bidi_stream",grpc_service="etcdserverpb.Watch",' +
          'grpc_method="Watch",grpc_code="OK"}',
      ) ?? 0;
    const stream = (
      watch as unknown as { Watch: () => ClientDuplexStream<Message, Message> }
    ).Watch();
    stream.on('error', () => {});
    stream.on('data', () => {});
    stream.write({ create_request: { key: bytes('metric-') } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    stream.end(); // the client is done: the server ends the stream with OK
    let counted = 0;
    for (let tries = 0; tries < 50 && counted <= watchesEnded(after); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      counted = watchesEnded(parseMetrics(await (await fetch(`${base}/metrics`)).text()));
    }
    expect(counted).toBe(watchesEnded(after) + 1);
  });

  it('reports status like etcd', async () => {
    const statusResponse = await call(maintenance, 'Status', {});
    expect(statusResponse.version).toBe('3.4.0');
    expect(statusResponse.leader).toBe(server.config.self.memberId.toString());
    expect(Number(statusResponse.raftAppliedIndex)).toBeGreaterThan(0);
  });
});

describe('a member without a leader', () => {
  it('fails requests with etcd\'s "no leader", at once when the client sets hasleader', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'synod-alone-'));
    const [clientPort, peerPort, otherPeer1, otherPeer2] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const config = parseNodeFlags({
      name: 'n1',
      dataDir,
      listenClientUrls: `http://127.0.0.1:${clientPort}`,
      listenPeerUrls: `http://127.0.0.1:${peerPort}`,
      initialCluster: `n1=http://127.0.0.1:${peerPort},n2=http://127.0.0.1:${otherPeer1},n3=http://127.0.0.1:${otherPeer2}`,
      requestTimeoutMs: '500',
    });
    const server = await EtcdServer.start(config, {
      logger: silentLogger,
      onFatal: (error) => {
        throw error;
      },
    });
    const kv = new (etcdServices().KV)(`127.0.0.1:${clientPort}`, credentials.createInsecure());
    try {
      const put = await failure(call(kv, 'Put', { key: bytes('k'), value: bytes('v') }));
      expect(put.code).toBe(status.UNAVAILABLE);
      expect(put.details).toBe('etcdserver: no leader');
      const metadata = new Metadata();
      metadata.set('hasleader', 'true');
      const range = await failure(
        new Promise((resolve, reject) =>
          (
            kv as unknown as {
              Range: (r: Message, m: Metadata, cb: (e: unknown, r: unknown) => void) => void;
            }
          ).Range({ key: bytes('k') }, metadata, (error, response) =>
            error === null ? resolve(response) : reject(error),
          ),
        ),
      );
      expect(range.details).toBe('etcdserver: no leader');
    } finally {
      kv.close();
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 30_000);
});

/** Prometheus text format: sample lines (name with labels, then the value), comments skipped. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}
