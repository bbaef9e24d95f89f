/**
 * The MVCC store at the data set size: 1,000,000 keys with 256-byte values.
 *
 * Prints: the time and heap to load the keys through `apply` (one put per command, as the log
 * applies them, keys in a shuffled order so the index takes random inserts); point reads and
 * 100-key range scans per second; overwrites and compaction; then `snapshot()`, its JSON size and
 * encoding time in chunks of records (as a snapshot file would hold them), and `restore()` of the
 * decoded snapshot into a fresh store — what a restarting node pays before it can serve.
 *
 *   npx tsc bench/mvcc-bench.ts --outDir /tmp/mvcc-bench --rootDir . --module nodenext \
 *     --target es2022 --skipLibCheck --types node
 *   node --expose-gc --max-old-space-size=8192 /tmp/mvcc-bench/bench/mvcc-bench.js [--keys 1000000]
 * (or `npm run build && node --expose-gc dist/bench/mvcc-bench.js`)
 */
import { MvccStore } from '../src/storage/mvcc/index.js';
import type { MvccSnapshot, SnapshotRecord } from '../src/storage/mvcc/index.js';

const VALUE_BYTES = 256;
const RECORDS_PER_CHUNK = 10_000;

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1] ?? fallback) : fallback;
}

/** A deterministic PRNG (the bench must not differ run to run in what it does). */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
}

function heapMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

function keyOf(n: number): string {
  return `/registry/pods/default/pod-${String(n).padStart(8, '0')}`;
}

/** A fresh flat 256-byte printable value, as one decoded from a log entry would be. */
function valueOf(next: () => number): string {
  const bytes = new Uint8Array(VALUE_BYTES);
  for (let index = 0; index < VALUE_BYTES; index++) bytes[index] = 0x21 + (next() % 94);
  return String.fromCharCode(...bytes);
}

function timed<T>(label: string, run: () => T, count?: number): T {
  const start = performance.now();
  const result = run();
  const ms = performance.now() - start;
  const rate =
    count === undefined ? '' : `  (${Math.round((count / ms) * 1000).toLocaleString('en-US')}/s)`;
  console.log(`${label.padEnd(44)} ${(ms / 1000).toFixed(2).padStart(7)} s${rate}`);
  return result;
}

function shuffled(count: number, next: () => number): number[] {
  const order = Array.from({ length: count }, (_, n) => n);
  for (let index = count - 1; index > 0; index--) {
    const other = next() % (index + 1);
    [order[index], order[other]] = [order[other] as number, order[index] as number];
  }
  return order;
}

function main(): void {
  const keyCount = option('keys', 1_000_000);
  const next = lcg(42);
  console.log(
    `MVCC store: ${keyCount.toLocaleString('en-US')} keys, ${VALUE_BYTES}-byte values, node ${process.version}`,
  );
  const baseMb = heapMb();
  const store = new MvccStore();
  const order = shuffled(keyCount, next);
  // Commands are built first, so the load measures the store, not the generator.
  const commands = order.map((n) => ({
    type: 'put' as const,
    request: { key: keyOf(n), value: valueOf(next) },
  }));
  timed(
    'load: put every key (shuffled order)',
    () => {
      for (const command of commands) store.apply(command);
    },
    keyCount,
  );
  commands.length = 0;
  const loadedMb = heapMb() - baseMb;
  console.log(
    `${'heap after load'.padEnd(44)} ${loadedMb.toFixed(0).padStart(7)} MB  (${((loadedMb * 2 ** 20) / keyCount).toFixed(0)} B/key)`,
  );

  const reads = 200_000;
  timed(
    'point reads (random keys)',
    () => {
      for (let index = 0; index < reads; index++) store.range({ key: keyOf(next() % keyCount) });
    },
    reads,
  );
  const scans = 20_000;
  timed(
    'range scans, 100 keys (limit 100, count all)',
    () => {
      for (let index = 0; index < scans; index++) {
        const start = next() % keyCount;
        store.range({ key: keyOf(start), rangeEnd: keyOf(start + 100), limit: 100 });
      }
    },
    scans,
  );
  const overwrites = Math.floor(keyCount / 10);
  timed(
    'overwrite 10% of the keys',
    () => {
      for (let index = 0; index < overwrites; index++) {
        store.apply({
          type: 'put',
          request: { key: keyOf(next() % keyCount), value: valueOf(next) },
        });
      }
    },
    overwrites,
  );
  timed('compact at the current revision', () =>
    store.apply({ type: 'compaction', request: { revision: store.currentRevision } }),
  );

  timed('hashKv() over the whole history', () => store.hashKv());
  const snapshot = timed('snapshot()', () => store.snapshot());
  let jsonBytes = 0;
  const chunks = timed('encode: JSON.stringify per 10k-record chunk', () => {
    const encoded: string[] = [];
    for (let start = 0; start < snapshot.records.length; start += RECORDS_PER_CHUNK) {
      const chunk = JSON.stringify(snapshot.records.slice(start, start + RECORDS_PER_CHUNK));
      jsonBytes += Buffer.byteLength(chunk);
      encoded.push(chunk);
    }
    return encoded;
  });
  console.log(
    `${'snapshot size (JSON)'.padEnd(44)} ${(jsonBytes / 2 ** 20).toFixed(0).padStart(7)} MB  (${snapshot.records.length.toLocaleString('en-US')} records)`,
  );
  const header = { ...snapshot, records: [] };
  const decoded = timed('decode: JSON.parse every chunk', () => {
    const records: SnapshotRecord[] = [];
    for (const chunk of chunks)
      for (const record of JSON.parse(chunk) as SnapshotRecord[]) records.push(record);
    return { ...header, records } satisfies MvccSnapshot;
  });
  const restored = new MvccStore();
  timed('restore()', () => restored.restore(decoded));
  console.log(
    `${'restored revision / keys'.padEnd(44)} ${restored.currentRevision} / ${restored.keyCount}`,
  );
  const sample = keyOf(keyCount - 1);
  const same =
    JSON.stringify(restored.range({ key: sample })) ===
    JSON.stringify(store.range({ key: sample }));
  console.log(`${'restored store answers like the original'.padEnd(44)} ${same ? 'yes' : 'NO'}`);
  console.log(
    `${'heap: two stores + snapshot + decoded copy'.padEnd(44)} ${(heapMb() - baseMb).toFixed(0).padStart(7)} MB`,
  );
}

main();
