/**
 * The replication strategies of seed 002, Paxos-based replication (`paxos-store`) and Raft, measured
 * side by side in the simulator with one KV workload (issue 7), for the Figures section of
 * src/protocols/replication/README.md and the table of docs/why-consensus.md:
 *
 *   npm run build && node dist/bench/replication-bench.js [--seeds N] [--paxos-seeds M] [row ...]
 *
 * Every link takes exactly 1 ms one way (`fixed 1000 µs`), fsync takes 10 µs, ticks every 10 ms.
 * - write delays: 5 nodes, 5 clients writing (`put` only), no faults; the median latency of the
 *   writes answered ok between 0.5 s and 2.5 s, divided by the one-way link latency (≈ message
 *   delays; a fraction is fsync and tick waits);
 * - writes with f down: the same cluster with f = 1 and f = 2 of the 5 nodes crashed at 0.5 s and
 *   left down; the fraction of the writes invoked from 1 s to 3 s that were answered ok. The nodes
 *   crashed are the highest-numbered ones that are not the primary / leader at 0.5 s (for
 *   primary–backup this measures "a backup is down", not failover);
 * - linearizable: 3 nodes, every nemesis, 3 s per run, seeds 1..N (default 50; M for
 *   paxos-store, default N); the first seed with a violation, or "yes (N seeds)";
 * - acknowledged data lost: the invariant named by the same sweep's first violation
 *   (`acknowledged-writes-survive` means an acknowledged write was gone after a failover).
 */
import { cpus } from 'node:os';
import {
  type AnyProtocolDefinition,
  NEMESIS_NAMES,
  findProtocol,
  Simulation,
  type TraceEvent,
  resolveSimConfig,
  sweep,
} from '../src/sim/index.js';

interface Row {
  readonly label: string;
  readonly protocol: string;
  readonly variant: string;
}

const ROWS: readonly Row[] = [
  ...['default', 'async', 'semisync', 'majority', 'lww', 'versioned', 'prepared'].map(
    (variant) => ({
      label: variant,
      protocol: 'replication',
      variant,
    }),
  ),
  { label: 'paxos-store', protocol: 'paxos-store', variant: 'default' },
  { label: 'raft', protocol: 'raft', variant: 'default' },
];

const LINK_US = 1000;
const NETWORK = { latency: { kind: 'fixed', us: LINK_US } };
const DISK = { fsyncLatency: { kind: 'fixed', us: 10 } };
const WRITES = { count: 5, mix: { get: 0, put: 1, delete: 0, cas: 0, inc: 0 } };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : (sorted[Math.floor(sorted.length / 2)] as number);
}

function leaderOf(simulation: Simulation): number | undefined {
  const nodes = simulation.nodes();
  const leader = nodes.find((node) => {
    const inspection = node.inspection as { role?: unknown; isPrimary?: unknown } | undefined;
    return inspection?.role === 'leader' || inspection?.role === 'primary';
  });
  return leader?.id;
}

/** Median write latency in link latencies (f = 0), or the fraction of writes answered ok (f > 0). */
function measure(row: Row, down: number): { latency: number; okFraction: number; leader?: number } {
  const startUs = 500_000;
  const windowFromUs = down === 0 ? 500_000 : 1_000_000;
  const windowToUs = down === 0 ? 2_500_000 : 3_000_000;
  const invoked = new Map<number, number>();
  const latencies: number[] = [];
  let answered = 0;
  let ok = 0;
  const onEvent = (event: TraceEvent): void => {
    if (event.type === 'invoke') {
      if (event.t >= windowFromUs && event.t < windowToUs) invoked.set(event.request, event.t);
    } else if (event.type === 'complete') {
      const start = invoked.get(event.request);
      if (start === undefined) return;
      invoked.delete(event.request);
      answered++;
      if (event.outcome === 'ok') {
        ok++;
        latencies.push(event.t - start);
      }
    }
  };
  const config = resolveSimConfig({
    protocol: row.protocol,
    variant: row.variant,
    nodes: 5,
    seed: 7,
    durationUs: windowToUs + 600_000,
    network: NETWORK,
    disk: DISK,
    clients: WRITES,
    linearizability: { enabled: false },
  });
  // Invariants off: a strategy's own violation (e.g. a lost update) must not end a measuring run.
  const definition: AnyProtocolDefinition = {
    ...findProtocol(row.protocol),
    createInvariantChecker: () => ({ check: () => undefined }),
  };
  const simulation = new Simulation(config, { onEvent, definition });
  simulation.runUntil(startUs);
  const leader = row.protocol === 'replication' && isPrimaryBackup(row) ? 0 : leaderOf(simulation);
  if (down > 0) {
    const victims = [4, 3, 2, 1, 0].filter((id) => id !== leader).slice(0, down);
    simulation.inject({ type: 'crash', nodes: victims });
  }
  simulation.runUntil(windowToUs + 600_000);
  // Writes still unanswered at the end of the run count as not ok (timed out).
  const total = answered + invoked.size;
  return {
    latency: median(latencies) / LINK_US,
    okFraction: total === 0 ? 0 : ok / total,
    ...(leader === undefined ? {} : { leader }),
  };
}

function isPrimaryBackup(row: Row): boolean {
  return ['default', 'async', 'semisync'].includes(row.variant);
}

function safety(row: Row, seeds: number): { linearizable: string; lost: string } {
  const config = resolveSimConfig({
    protocol: row.protocol,
    variant: row.variant,
    durationUs: 3_000_000,
    nemesis: { generators: [...NEMESIS_NAMES] },
  });
  const result = sweep(config, { from: 1, to: seeds });
  const violation = result.firstViolation?.violation;
  const unknown = result.unknownSeeds.length > 0 ? `, ${result.unknownSeeds.length} "unknown"` : '';
  if (violation === undefined)
    return { linearizable: `yes (${seeds} seeds${unknown})`, lost: 'no' };
  const seed = result.firstViolation?.seed;
  const what = violation.kind === 'invariant' ? (violation.invariant ?? 'invariant') : 'checker';
  return {
    linearizable: `no (first seed ${seed}, ${what})`,
    lost: violation.invariant === 'acknowledged-writes-survive' ? 'yes' : `— (${what})`,
  };
}

function main(argv: readonly string[]): void {
  const option = (name: string, fallback: number): number => {
    const index = argv.indexOf(name);
    return index >= 0 ? Number(argv[index + 1]) : fallback;
  };
  const seeds = option('--seeds', 50);
  const paxosSeeds = option('--paxos-seeds', seeds);
  const wanted = argv.filter(
    (arg, index) => !arg.startsWith('--') && !argv[index - 1]?.startsWith('--'),
  );
  const rows = wanted.length > 0 ? ROWS.filter((row) => wanted.includes(row.label)) : ROWS;
  process.stdout.write(
    `machine: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, node ${process.version}\n`,
  );
  process.stdout.write(
    '| row | write delays | writes ok with 1 / 2 of 5 down | linearizable | acknowledged data lost | seconds |\n',
  );
  for (const row of rows) {
    const started = Date.now();
    const base = measure(row, 0);
    const one = measure(row, 1);
    const two = measure(row, 2);
    const { linearizable, lost } = safety(row, row.protocol === 'paxos-store' ? paxosSeeds : seeds);
    process.stdout.write(
      `| ${row.label} | ${base.latency.toFixed(1)} | ${one.okFraction.toFixed(2)} / ${two.okFraction.toFixed(2)} | ` +
        `${linearizable} | ${lost} | ${((Date.now() - started) / 1000).toFixed(1)} |\n`,
    );
  }
}

main(process.argv.slice(2));
