/**
 * A large data set through etcd's gRPC API into a 3-process cluster, then a whole-cluster
 * restart: what snapshots cost at scale.
 *
 *   npm run build && node dist/bench/snapshot-bench.js [--keys 1000000] [--value-bytes 256]
 *     [--puts-per-txn 100] [--clients 32] [--lagging]
 *
 * Keys are written by Txn requests of --puts-per-txn puts each (1: plain Puts), from --clients
 * concurrent callers spread over the members. It prints the load time, each member's RSS, the
 * snapshots written, then stops every member (SIGTERM), starts them again on the same data and
 * prints the time to the first linearizable Range answered, the RSS after it, and the longest
 * event-loop stall any member logged (`the event loop was blocked`, logged above 100 ms).
 *
 * With --lagging, the third member stays down during the load and starts after it: its log is
 * behind the leader's compaction, so it catches up from the whole snapshot, sent in pieces. The
 * bench prints the time until it answers a serializable read of the last key, and the longest
 * stall any member logged meanwhile.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { Client, ServiceError } from '@grpc/grpc-js';
import { credentials } from '@grpc/grpc-js';
import { etcdServices } from '../src/server/grpc/proto.js';
import { ProcessCluster, etcdctlExists } from '../src/server/testing/process-cluster.js';

type Message = Record<string, unknown>;
type Unary = (
  request: Message,
  options: { deadline: number },
  callback: (error: ServiceError | null, response: Message) => void,
) => void;

function option(name: string, fallback: string): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = Number(index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name} must be >= 1`);
  return value;
}

function call(
  client: Client,
  method: string,
  request: Message,
  timeoutMs = 60_000,
): Promise<Message> {
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, Unary>)[method] as Unary;
    fn.call(client, request, { deadline: Date.now() + timeoutMs }, (error, response) =>
      error === null ? resolve(response) : reject(error),
    );
  });
}

/** etcdctl without the test helper's 30 s limit: a large snapshot takes longer. */
function etcdctlLong(args: readonly string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'etcdctl',
      [...args],
      { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 900_000 },
      (error, _stdout, stderr) =>
        resolve({ code: error === null ? 0 : Number(error.code ?? 1), stderr }),
    );
  });
}

function rssMib(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match === null ? Number.NaN : Math.round(Number(match[1]) / 1024);
}

function longestStallMs(logs: readonly string[]): number {
  let longest = 0;
  for (const log of logs)
    for (const match of log.matchAll(/event loop was blocked[^\n]*?"?blockedMs"?[=:]\s*(\d+)/g))
      longest = Math.max(longest, Number(match[1]));
  return longest;
}

/** Each member's log lines about stalls, leaders, snapshots and recovery, for --show-stalls. */
function showStalls(cluster: ProcessCluster): void {
  for (const m of cluster.members)
    for (const line of m.log.split('\n'))
      if (/blocked|leader|snapshot|elect|recovered/.test(line))
        console.log(`  [${m.name}] ${line.slice(0, 240)}`);
}

/** Starts the member that missed the load and waits until it serves the last key locally. */
async function catchUp(cluster: ProcessCluster, name: string, lastKey: Buffer): Promise<void> {
  for (const m of cluster.members) m.log = '';
  const started = Date.now();
  cluster.start(name);
  const member = cluster.member(name);
  const client = new (etcdServices().KV)(
    `127.0.0.1:${member.clientPort}`,
    credentials.createInsecure(),
  );
  try {
    for (;;) {
      try {
        const answer = await call(client, 'Range', { key: lastKey, serializable: true }, 2_000);
        if (Array.isArray(answer.kvs) && answer.kvs.length === 1) break;
      } catch {
        // not listening yet, or still loading
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    client.close();
  }
  const caughtUpS = (Date.now() - started) / 1000;
  if (process.argv.includes('--show-stalls')) showStalls(cluster);
  const viaSnapshot = member.log.includes('loaded a snapshot of the state');
  console.log(
    `lagging member ${name}: serves the last key ${caughtUpS.toFixed(1)} s after its start ` +
      `(${viaSnapshot ? 'from a snapshot' : 'from the log'}), RSS ${rssMib(member.process?.pid)} MiB; ` +
      `longest stall logged meanwhile: ` +
      cluster.members.map((m) => `${m.name} ${longestStallMs([m.log])} ms`).join(', '),
  );
}

async function main(): Promise<void> {
  const keys = option('keys', '1000000');
  const valueBytes = option('value-bytes', '256');
  const perTxn = option('puts-per-txn', '100');
  const concurrency = option('clients', '32');
  const lagging = process.argv.includes('--lagging');
  // A million keys need more than Node's default heap on a small machine.
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=4096`.trim();
  const cluster = await ProcessCluster.create(3);
  const cpu = cpus();
  console.log(
    `machine: ${cpu[0]?.model ?? 'unknown cpu'}, ${cpu.length} cores, node ${process.version}; ` +
      `${keys} keys of ${valueBytes} B, ${perTxn} puts per request, ${concurrency} clients`,
  );
  const services = etcdServices();
  let clients: Client[] = [];
  const connect = (members = cluster.members) => {
    for (const client of clients) client.close();
    clients = members.map(
      (member) => new services.KV(`127.0.0.1:${member.clientPort}`, credentials.createInsecure()),
    );
  };
  const [first, second, third] = cluster.members.map((member) => member.name) as [
    string,
    string,
    string,
  ];
  try {
    if (lagging) {
      cluster.start(first);
      cluster.start(second);
      await cluster.waitReady([first, second], 60_000);
      connect(cluster.members.filter((member) => member.name !== third));
    } else {
      cluster.startAll();
      await cluster.waitReady(undefined, 60_000);
      connect();
    }
    const value = Buffer.alloc(valueBytes, 'v');
    const keyOf = (index: number) => Buffer.from(`key/${String(index).padStart(8, '0')}`);
    let next = 0;
    let done = 0;
    const started = Date.now();
    let lastReport = started;
    const worker = async (slot: number) => {
      for (;;) {
        const first = next;
        if (first >= keys) return;
        next = Math.min(keys, first + perTxn);
        const client = clients[slot % clients.length] as Client;
        const puts = [];
        for (let index = first; index < next; index++)
          puts.push({ request_put: { key: keyOf(index), value } });
        for (let attempt = 0; ; attempt++) {
          try {
            if (perTxn === 1) await call(client, 'Put', puts[0]?.request_put as Message);
            else await call(client, 'Txn', { success: puts });
            break;
          } catch (error) {
            if (attempt >= 20) throw error;
            await new Promise((resolve) => setTimeout(resolve, 500));
          }
        }
        done += puts.length;
        if (Date.now() - lastReport > 10_000) {
          lastReport = Date.now();
          console.log(`  ${done} keys after ${((lastReport - started) / 1000).toFixed(0)} s`);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, (_, slot) => worker(slot)));
    const loadS = (Date.now() - started) / 1000;
    console.log(
      `load: ${keys} keys in ${loadS.toFixed(1)} s (${Math.round(keys / loadS)} keys/s); RSS ` +
        cluster.members.map((m) => `${m.name} ${rssMib(m.process?.pid)} MiB`).join(', '),
    );
    const snapshots = cluster.members.map((m) =>
      existsSync(join(m.dataDir, 'snap'))
        ? readdirSync(join(m.dataDir, 'snap')).filter((name) => name.endsWith('.snap')).length
        : 0,
    );
    console.log(`snapshot files now: ${snapshots.join(', ')}`);
    const stallDuringLoad = longestStallMs(cluster.members.map((m) => m.log));
    if (process.argv.includes('--show-stalls')) showStalls(cluster);
    if (lagging) await catchUp(cluster, third, keyOf(keys - 1));
    await cluster.stopAll();
    const restartStarted = Date.now();
    cluster.startAll();
    connect();
    let answered: Message | undefined;
    let serving: Client | undefined;
    while (answered === undefined) {
      for (const client of clients) {
        try {
          answered = await call(client, 'Range', { key: keyOf(keys - 1) }, 2_000);
          serving = client;
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    }
    const restartS = (Date.now() - restartStarted) / 1000;
    const count = await call(serving as Client, 'Range', {
      key: Buffer.from('key/'),
      range_end: Buffer.from('key0'),
      count_only: true,
    });
    console.log(
      `restart to first linearizable read: ${restartS.toFixed(1)} s; count ${String(count.count)}; RSS ` +
        cluster.members.map((m) => `${m.name} ${rssMib(m.process?.pid)} MiB`).join(', '),
    );
    const stallAfterRestart = longestStallMs(cluster.members.map((m) => m.log));
    if (process.argv.includes('--show-stalls')) showStalls(cluster);
    console.log(
      `longest event-loop stall logged (>100 ms): during load ${stallDuringLoad} ms, ` +
        `during restart ${stallAfterRestart} ms`,
    );
    if (etcdctlExists()) {
      const member = cluster.members[0];
      const image = join(cluster.root, 'backup.db');
      for (const m of cluster.members) m.log = '';
      const saveStarted = Date.now();
      const saved = await etcdctlLong([
        '--endpoints',
        `127.0.0.1:${member?.clientPort}`,
        '--command-timeout=600s',
        'snapshot',
        'save',
        image,
      ]);
      console.log(
        `etcdctl snapshot save: exit ${saved.code} in ${((Date.now() - saveStarted) / 1000).toFixed(1)} s, ` +
          `${((statSync(image, { throwIfNoEntry: false })?.size ?? 0) / 1e6).toFixed(0)} MB; ` +
          `longest stall logged meanwhile ${longestStallMs(cluster.members.map((m) => m.log))} ms`,
      );
    }
  } finally {
    for (const client of clients) client.close();
    await cluster.destroy();
  }
}

await main();
