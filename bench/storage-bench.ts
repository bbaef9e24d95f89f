/**
 * WAL throughput with group commit: appends/s and MB/s at 1, 16 and 256 concurrent writers, for
 * records of 100 B and 1 KiB, every append synced (fdatasync) before it resolves.
 *
 * Then a snapshot of `--snapshot-records` records (default 1,000,000) of a 256-byte value each, the
 * shape of the 1M-key data set: time to write it (replace), time to load it back (what a
 * restart costs before the node can serve), and the heap it takes.
 *
 *   npm run build && node dist/bench/storage-bench.js [--seconds 3] [--dir /path/on/the/disk]
 *     [--snapshot-records 1000000]
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DurableStore } from '../src/storage/durable-store.js';

interface Result {
  readonly writers: number;
  readonly recordBytes: number;
  readonly appends: number;
  readonly seconds: number;
  readonly syncs: number;
  readonly latencyMsP50: number;
  readonly latencyMsP99: number;
}

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

function filesystemOf(path: string): string {
  try {
    const lines = execFileSync('df', ['-PT', path], { encoding: 'utf8' }).trim().split('\n');
    const fields = lines.at(-1)?.split(/\s+/) ?? [];
    return `${fields[1] ?? '?'} on ${fields[0] ?? '?'}`;
  } catch {
    return 'unknown';
  }
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
}

async function run(base: string, writers: number, recordBytes: number, seconds: number) {
  const dir = await mkdtemp(join(base, 'synod-storage-bench-'));
  const store = await DurableStore.open(dir);
  await store.load();
  // A record of about recordBytes once JSON-encoded, like a small log entry.
  const record = { term: 7, index: 0, data: 'v'.repeat(Math.max(0, recordBytes - 32)) };
  const latenciesMs: number[] = [];
  let appends = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const writer = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const began = performance.now();
      await store.apply([{ kind: 'append', records: [{ ...record, index: appends }] }], true);
      latenciesMs.push(performance.now() - began);
      appends++;
    }
  };
  await Promise.all(Array.from({ length: writers }, writer));
  const elapsedSeconds = (performance.now() - start) / 1000;
  const syncs = store.stats().syncs;
  await store.close();
  await rm(dir, { recursive: true, force: true });
  latenciesMs.sort((a, b) => a - b);
  const result: Result = {
    writers,
    recordBytes,
    appends,
    seconds: elapsedSeconds,
    syncs,
    latencyMsP50: percentile(latenciesMs, 0.5),
    latencyMsP99: percentile(latenciesMs, 0.99),
  };
  return result;
}

function format(result: Result): string {
  const perSecond = result.appends / result.seconds;
  const megabytesPerSecond = (perSecond * result.recordBytes) / 1e6;
  return [
    String(result.writers).padStart(7),
    `${result.recordBytes} B`.padStart(7),
    Math.round(perSecond).toLocaleString('en-US').padStart(10),
    megabytesPerSecond.toFixed(2).padStart(8),
    Math.round(result.syncs / result.seconds)
      .toLocaleString('en-US')
      .padStart(8),
    (result.appends / Math.max(1, result.syncs)).toFixed(1).padStart(12),
    result.latencyMsP50.toFixed(2).padStart(8),
    result.latencyMsP99.toFixed(2).padStart(8),
  ].join('  ');
}

async function snapshotRun(base: string, recordCount: number): Promise<void> {
  const dir = await mkdtemp(join(base, 'synod-snapshot-bench-'));
  const value = 'v'.repeat(256);
  const records = Array.from({ length: recordCount }, (_, index) => ({
    key: `key-${index.toString().padStart(8, '0')}`,
    value,
    createRevision: index + 1,
    modRevision: index + 1,
    version: 1,
  }));
  let store = await DurableStore.open(dir);
  await store.load();
  let began = performance.now();
  await store.apply([{ kind: 'replace', records }], true);
  const writeSeconds = (performance.now() - began) / 1000;
  await store.close();
  records.length = 0;
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  began = performance.now();
  store = await DurableStore.open(dir);
  const loaded = await store.load();
  const loadSeconds = (performance.now() - began) / 1000;
  globalThis.gc?.();
  const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  const bytes =
    loaded.report.snapshot === null ? 0 : (await stat(loaded.report.snapshot.file)).size;
  await store.close();
  await rm(dir, { recursive: true, force: true });
  console.log(
    `snapshot of ${loaded.records.length.toLocaleString('en-US')} records ` +
      `(${(bytes / 2 ** 20).toFixed(0)} MiB): write ${writeSeconds.toFixed(2)} s, ` +
      `load ${loadSeconds.toFixed(2)} s, heap after load +${heapMiB.toFixed(0)} MiB` +
      (globalThis.gc === undefined ? ' (run with --expose-gc for a steadier heap figure)' : ''),
  );
}

async function main(): Promise<void> {
  const seconds = Number(option('seconds', '3'));
  const base = option('dir', tmpdir());
  const cpu = cpus();
  console.log(`storage bench: WAL appends, each synced (fdatasync) before it resolves`);
  console.log(
    `machine: ${cpu[0]?.model ?? 'unknown cpu'}, ${cpu.length} cores, node ${process.version}`,
  );
  console.log(`directory: ${base} (${filesystemOf(base)}), ${seconds} s per row`);
  console.log('writers   record  appends/s     MB/s  syncs/s  appends/sync   p50 ms   p99 ms');
  for (const recordBytes of [100, 1024]) {
    for (const writers of [1, 16, 256]) {
      console.log(format(await run(base, writers, recordBytes, seconds)));
    }
  }
  const snapshotRecords = Number(option('snapshot-records', '1000000'));
  if (snapshotRecords > 0) await snapshotRun(base, snapshotRecords);
}

await main();
