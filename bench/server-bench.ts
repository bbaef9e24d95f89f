/**
 * The server under load through etcd's gRPC API: puts, linearizable ranges and serializable
 * ranges from N concurrent clients, reporting operations/s and latency percentiles. Without
 * --endpoints it starts a 3-process Synod cluster on free ports (data in a temp dir, real fsync);
 * with --endpoints it drives any etcd v3 endpoint list, etcd itself included, for comparison.
 *
 *   npm run build && node dist/bench/server-bench.js [--clients 64] [--seconds 3] [--value-bytes 256]
 *     [--keys 10000] [--endpoints 127.0.0.1:2379,...]
 *
 * With --restart-keys N it measures a restart instead: one member in this process is loaded with
 * N keys (256-byte values, through the log), stopped, and started again on the same data; it
 * prints the time from start to the first linearizable read answered, and the heap and RSS then.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client, ServiceError } from '@grpc/grpc-js';
import { credentials } from '@grpc/grpc-js';
import { parseNodeFlags } from '../src/server/config.js';
import { EtcdServer } from '../src/server/etcd-server.js';
import { etcdServices } from '../src/server/grpc/proto.js';
import { createLogger } from '../src/server/logger.js';
import { ProcessCluster } from '../src/server/testing/process-cluster.js';

type Message = Record<string, unknown>;
type Unary = (
  request: Message,
  callback: (error: ServiceError | null, response: Message) => void,
) => void;

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

function call(client: Client, method: string, request: Message): Promise<Message> {
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, Unary>)[method] as Unary;
    fn.call(client, request, (error, response) =>
      error === null ? resolve(response) : reject(error),
    );
  });
}

interface Workload {
  readonly name: string;
  readonly run: (client: Client, index: number) => Promise<unknown>;
}

function percentile(sortedMs: readonly number[], fraction: number): number {
  if (sortedMs.length === 0) return Number.NaN;
  return sortedMs[Math.min(sortedMs.length - 1, Math.floor(fraction * sortedMs.length))] as number;
}

async function measure(
  workload: Workload,
  clients: readonly Client[],
  concurrency: number,
  seconds: number,
): Promise<void> {
  const latenciesMs: number[] = [];
  let failures = 0;
  let firstError = '';
  const deadline = Date.now() + seconds * 1000;
  let counter = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      const client = clients[worker % clients.length] as Client;
      while (Date.now() < deadline) {
        const started = process.hrtime.bigint();
        try {
          await workload.run(client, counter++);
          latenciesMs.push(Number(process.hrtime.bigint() - started) / 1e6);
        } catch (error) {
          if (failures++ === 0) firstError = (error as Error).message;
        }
      }
    }),
  );
  latenciesMs.sort((a, b) => a - b);
  const rate = Math.round(latenciesMs.length / seconds);
  console.log(
    `${workload.name.padEnd(22)} ${String(concurrency).padStart(4)} clients  ` +
      `${String(rate).padStart(7)} ops/s  p50 ${percentile(latenciesMs, 0.5).toFixed(2)} ms  ` +
      `p99 ${percentile(latenciesMs, 0.99).toFixed(2)} ms  failures ${failures}${firstError === '' ? '' : ` (first: ${firstError})`}`,
  );
}

const MIB = 1024 * 1024;

async function startMember(dataDir: string): Promise<EtcdServer> {
  const config = parseNodeFlags({
    name: 'bench',
    dataDir,
    listenClientUrls: 'http://127.0.0.1:0',
    listenPeerUrls: 'http://127.0.0.1:0',
  });
  const server = await EtcdServer.start(config, {
    logger: createLogger({ level: 'error' }),
    onFatal: (error) => {
      console.error('member failed:', error);
      process.exit(1);
    },
  });
  while (server.runtime.leader() === undefined) await new Promise((r) => setTimeout(r, 10));
  return server;
}

async function restartBench(keys: number, valueBytes: number): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'synod-restart-bench-'));
  const value = 'v'.repeat(valueBytes);
  const cpu = cpus();
  console.log(
    `machine: ${cpu[0]?.model ?? 'unknown cpu'}, ${cpu.length} cores, node ${process.version}`,
  );
  try {
    let server = await startMember(dataDir);
    const loadStarted = Date.now();
    const inFlight = 1000;
    for (let first = 0; first < keys; first += inFlight) {
      const count = Math.min(inFlight, keys - first);
      await Promise.all(
        Array.from({ length: count }, (_, offset) =>
          server.runtime.submit(
            {
              type: 'put',
              request: { key: `key/${String(first + offset).padStart(8, '0')}`, value },
            },
            60_000,
          ),
        ),
      );
    }
    const loadS = (Date.now() - loadStarted) / 1000;
    console.log(
      `loaded ${keys} keys of ${valueBytes} B in ${loadS.toFixed(1)} s (${Math.round(keys / loadS)} puts/s, one member, in process)`,
    );
    await server.stop();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = Date.now();
    server = await startMember(dataDir);
    const read = await server.runtime.submit(
      { type: 'range', request: { key: 'key/00000000' } },
      60_000,
    );
    const servingS = (Date.now() - started) / 1000;
    const memory = process.memoryUsage();
    console.log(
      `restart to first linearizable read: ${servingS.toFixed(1)} s (read ok: ${read.ok}); ` +
        `revision ${server.app.store.currentRevision}; heap ${Math.round(memory.heapUsed / MIB)} MiB ` +
        `(+${Math.round((memory.heapUsed - heapBefore) / MIB)} MiB), RSS ${Math.round(memory.rss / MIB)} MiB`,
    );
    await server.stop();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const restartKeys = Number(option('restart-keys', '0'));
  if (restartKeys > 0) {
    await restartBench(restartKeys, Number(option('value-bytes', '256')));
    return;
  }
  const concurrency = Number(option('clients', '64'));
  const seconds = Number(option('seconds', '3'));
  const valueBytes = Number(option('value-bytes', '256'));
  const keys = Number(option('keys', '10000'));
  let endpoints = option('endpoints', '');
  let cluster: ProcessCluster | undefined;
  if (endpoints === '') {
    cluster = await ProcessCluster.launch(3);
    endpoints = cluster.endpoints;
  }
  const cpu = cpus();
  console.log(
    `machine: ${cpu[0]?.model ?? 'unknown cpu'}, ${cpu.length} cores, node ${process.version}; ` +
      `endpoints ${endpoints}${cluster === undefined ? '' : ' (a Synod cluster started by the bench)'}`,
  );
  const services = etcdServices();
  const clients = endpoints
    .split(',')
    .map((endpoint) => new services.KV(endpoint, credentials.createInsecure()));
  const value = Buffer.alloc(valueBytes, 'v');
  const keyOf = (index: number) => Buffer.from(`bench/${String(index % keys).padStart(8, '0')}`);
  const workloads: Workload[] = [
    { name: 'put', run: (client, index) => call(client, 'Put', { key: keyOf(index), value }) },
    {
      name: 'range linearizable',
      run: (client, index) => call(client, 'Range', { key: keyOf(index) }),
    },
    {
      name: 'range serializable',
      run: (client, index) => call(client, 'Range', { key: keyOf(index), serializable: true }),
    },
  ];
  try {
    for (const workload of workloads) await measure(workload, clients, concurrency, seconds);
  } finally {
    for (const client of clients) client.close();
    await cluster?.destroy();
  }
}

await main();
