/**
 * Synod against etcd 3.4 on the same machine in the same run: a 3-member etcd cluster (Debian's
 * /usr/bin/etcd, fsync on as by default) and a 3-member Synod cluster (`synod node` ×3), both on
 * 127.0.0.1 with free ports and data in a temp dir, loaded by the same `synod bench` command with
 * etcd's benchmark defaults (8-byte keys, 256-byte values). Runs are interleaved (a workload on
 * one system, then on the other, alternating which goes first) and repeated, because the machine
 * is shared and noisy; the table shows the median of the repeats and their spread.
 *
 *   npm run build && node dist/bench/etcd-compare.js [--duration 10s] [--repeats 3]
 *     [--workloads put-64,put-256,range-l,range-s] [--etcd /usr/bin/etcd]
 *
 * Not part of `npm run bench` (it takes minutes); run it on its own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchReport } from '../src/cli/bench/bench-report.js';
import { etcdctl, freePort } from '../src/server/testing/process-cluster.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SYNOD_BIN = join(root, 'bin', 'synod.js');

interface Workload {
  readonly name: string;
  readonly args: readonly string[];
}

/** etcd's documented benchmark shapes (op-guide/performance.md), at our machine's scale. */
const WORKLOADS: readonly Workload[] = [
  {
    name: 'put-64',
    args: [
      'put',
      '--clients',
      '64',
      '--conns',
      '8',
      '--key-space-size',
      '100000',
      '--sequential-keys',
      '--val-size',
      '256',
    ],
  },
  {
    name: 'put-256',
    args: [
      'put',
      '--clients',
      '256',
      '--conns',
      '32',
      '--key-space-size',
      '100000',
      '--sequential-keys',
      '--val-size',
      '256',
    ],
  },
  {
    name: 'range-l',
    args: [
      'range',
      '--clients',
      '64',
      '--conns',
      '8',
      '--key-space-size',
      '100000',
      '--consistency',
      'l',
    ],
  },
  {
    name: 'range-s',
    args: [
      'range',
      '--clients',
      '64',
      '--conns',
      '8',
      '--key-space-size',
      '100000',
      '--consistency',
      's',
    ],
  },
];

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  if (index < 0) return fallback;
  const value = process.argv[index + 1];
  if (value === undefined || value.startsWith('--')) fail(`--${name} needs a value`);
  return value;
}

function fail(message: string): never {
  process.stderr.write(`etcd-compare: ${message}\n`);
  process.exit(2);
}

interface Cluster {
  readonly system: 'etcd' | 'synod';
  readonly endpoints: string;
  readonly children: ChildProcess[];
  readonly logs: string[];
}

async function ports(count: number): Promise<number[]> {
  const found: number[] = [];
  while (found.length < count) {
    const port = await freePort();
    if (!found.includes(port)) found.push(port);
  }
  return found;
}

function spawnLogged(command: string, args: readonly string[], logs: string[], index: number) {
  const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  logs[index] = '';
  const keep = (chunk: Buffer) => {
    // Keep the tail only: etcd logs every slow request, which adds up over minutes.
    logs[index] = ((logs[index] ?? '') + chunk.toString()).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return child;
}

async function startCluster(system: Cluster['system'], dataRoot: string, etcdBin: string) {
  const [c1, c2, c3, p1, p2, p3] = await ports(6);
  const members = [
    { name: 'm1', client: c1 as number, peer: p1 as number },
    { name: 'm2', client: c2 as number, peer: p2 as number },
    { name: 'm3', client: c3 as number, peer: p3 as number },
  ];
  const initialCluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');
  const logs: string[] = [];
  const children = members.map((member, index) => {
    const flags = [
      '--name',
      member.name,
      '--data-dir',
      join(dataRoot, `${system}-${member.name}`),
      '--listen-client-urls',
      `http://127.0.0.1:${member.client}`,
      '--advertise-client-urls',
      `http://127.0.0.1:${member.client}`,
      '--listen-peer-urls',
      `http://127.0.0.1:${member.peer}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${member.peer}`,
      '--initial-cluster',
      initialCluster,
      '--initial-cluster-token',
      `compare-${system}`,
      '--initial-cluster-state',
      'new',
    ];
    return system === 'etcd'
      ? spawnLogged(etcdBin, [...flags, '--logger', 'zap', '--log-level', 'warn'], logs, index)
      : spawnLogged(
          process.execPath,
          [SYNOD_BIN, 'node', ...flags, '--log-level', 'warn'],
          logs,
          index,
        );
  });
  const endpoints = members.map((m) => `127.0.0.1:${m.client}`).join(',');
  const cluster: Cluster = { system, endpoints, children, logs };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const health = await etcdctl([
      '--endpoints',
      endpoints,
      '--command-timeout=5s',
      'endpoint',
      'health',
    ]);
    if (health.code === 0) return cluster;
    if (Date.now() > deadline) {
      stopCluster(cluster);
      fail(
        `the ${system} cluster did not become healthy:\n${health.stderr}\n${logs.join('\n---\n')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function stopCluster(cluster: Cluster): void {
  for (const child of cluster.children) child.kill('SIGKILL');
}

function runBench(cluster: Cluster, workload: Workload, duration: string): Promise<BenchReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        SYNOD_BIN,
        'bench',
        ...workload.args,
        '--endpoints',
        cluster.endpoints,
        '--duration',
        duration,
        '--json',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => {
      try {
        resolve(JSON.parse(stdout) as BenchReport);
      } catch {
        reject(
          new Error(`synod bench ${workload.name} on ${cluster.system} exited ${code}: ${stderr}`),
        );
      }
    });
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const spread = (values: readonly number[], digits: number) =>
  `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;

async function main(): Promise<void> {
  const duration = option('duration', '10s');
  const repeats = Number(option('repeats', '3'));
  if (!Number.isInteger(repeats) || repeats < 1 || repeats > 100)
    fail(`--repeats must be an integer from 1 to 100, got "${option('repeats', '3')}"`);
  const wanted = option('workloads', WORKLOADS.map((w) => w.name).join(',')).split(',');
  const unknown = wanted.filter((name) => !WORKLOADS.some((w) => w.name === name));
  if (unknown.length > 0)
    fail(
      `unknown workload ${unknown.join(', ')}; choose from ${WORKLOADS.map((w) => w.name).join(', ')}`,
    );
  const workloads = WORKLOADS.filter((w) => wanted.includes(w.name));
  const etcdBin = option('etcd', '/usr/bin/etcd');
  if (!existsSync(etcdBin))
    fail(`no etcd at ${etcdBin} (apt-get install etcd-server, or pass --etcd)`);
  if (!existsSync(join(root, 'dist', 'src', 'cli', 'main.js'))) fail('run `npm run build` first');

  const cpu = cpus();
  console.log(
    `machine: ${cpu[0]?.model ?? 'unknown cpu'}, ${cpu.length} cores, node ${process.version}; ` +
      `${duration} per run, ${repeats} interleaved repeats`,
  );
  const dataRoot = mkdtempSync(join(tmpdir(), 'synod-etcd-compare-'));
  const clusters: Cluster[] = [];
  const cleanUp = () => {
    for (const cluster of clusters) stopCluster(cluster);
    rmSync(dataRoot, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    cleanUp();
    process.exit(130);
  });
  try {
    clusters.push(await startCluster('etcd', dataRoot, etcdBin));
    clusters.push(await startCluster('synod', dataRoot, etcdBin));
    // A short warm-up on each: the JIT and the first WAL segment are not what is being compared.
    for (const cluster of clusters) await runBench(cluster, WORKLOADS[0] as Workload, '2s');
    const results = new Map<string, BenchReport[]>();
    for (let repeat = 0; repeat < repeats; repeat++) {
      for (const workload of workloads) {
        // Alternate who goes first, so neither system always runs on the warmer (or busier) slot.
        const order =
          (repeat + workloads.indexOf(workload)) % 2 === 0 ? clusters : [...clusters].reverse();
        for (const cluster of order) {
          const report = await runBench(cluster, workload, duration);
          const key = `${workload.name}/${cluster.system}`;
          results.set(key, [...(results.get(key) ?? []), report]);
          console.log(
            `  run ${repeat + 1} ${workload.name.padEnd(8)} ${cluster.system.padEnd(6)} ` +
              `${report.opsPerSecond.toFixed(0).padStart(6)} ops/s  p50 ${report.latencyMs?.p50.toFixed(1)} ms  ` +
              `p99 ${report.latencyMs?.p99.toFixed(1)} ms  failed ${report.failed}` +
              (report.failed > 0 ? ` (${Object.keys(report.errors).join('; ')})` : ''),
          );
        }
      }
    }
    console.log(
      `\n| workload | system | ops/s (median) | ops/s (range) | p50 ms | p99 ms (median) | p99 ms (range) | failed |\n` +
        '| --- | --- | --: | --: | --: | --: | --: | --: |',
    );
    for (const workload of workloads) {
      for (const system of ['etcd', 'synod'] as const) {
        const reports = results.get(`${workload.name}/${system}`) ?? [];
        const rates = reports.map((r) => r.opsPerSecond);
        const p50s = reports.map((r) => r.latencyMs?.p50 ?? Number.NaN);
        const p99s = reports.map((r) => r.latencyMs?.p99 ?? Number.NaN);
        const failed = reports.reduce((sum, r) => sum + r.failed, 0);
        console.log(
          `| ${workload.name} | ${system} | ${median(rates).toFixed(0)} | ${spread(rates, 0)} | ` +
            `${median(p50s).toFixed(1)} | ${median(p99s).toFixed(1)} | ${spread(p99s, 1)} | ${failed} |`,
        );
      }
    }
  } finally {
    cleanUp();
  }
}

await main();
