/**
 * The same KV workload on every replicated-log protocol, in the simulator (virtual time: links of
 * 0.2–2 ms, fsync 0–1 ms, 10 ms ticks), for docs/multipaxos-and-raft.md:
 *
 *   node dist/bench/log-engines-bench.js [--seeds N] [protocol ...]
 *
 * - steady state (3 nodes, 5 clients, writes only, no faults, 0.5 s to 2.5 s): messages sent per
 *   acknowledged write (heartbeats included) and the median write latency;
 * - failover (the leader crashes at 1 s): time until a new leader is seen, and until the next
 *   client operation succeeds, median and p99 over N seeds.
 */
import { cpus } from 'node:os';
import { Simulation, type TraceEvent, resolveSimConfig } from '../src/sim/index.js';

const WORKLOAD = {
  count: 5,
  thinkUsMin: 0,
  thinkUsMax: 20_000,
  mix: { get: 0, put: 2, delete: 1, cas: 2, inc: 2 },
};

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function leaderOf(simulation: Simulation): number | undefined {
  return simulation.nodes().find((node) => node.inspection?.role === 'leader')?.id;
}

function steadyState(protocol: string): { messagesPerWrite: number; latencyMedianMs: number } {
  let measuring = false;
  let sends = 0;
  const invoked = new Map<number, number>();
  const latenciesUs: number[] = [];
  const onEvent = (event: TraceEvent): void => {
    if (!measuring) return;
    if (event.type === 'send') sends++;
    else if (event.type === 'invoke') invoked.set(event.request, event.t);
    else if (event.type === 'complete' && event.outcome === 'ok') {
      const start = invoked.get(event.request);
      if (start !== undefined) latenciesUs.push(event.t - start);
    }
  };
  const config = resolveSimConfig({
    protocol,
    nodes: 3,
    seed: 7,
    durationUs: 2_500_000,
    clients: WORKLOAD,
    linearizability: { enabled: false },
  });
  const simulation = new Simulation(config, { onEvent });
  simulation.runUntil(500_000);
  measuring = true;
  simulation.runUntil(2_500_000);
  latenciesUs.sort((a, b) => a - b);
  return {
    messagesPerWrite: sends / Math.max(1, latenciesUs.length),
    latencyMedianMs: percentile(latenciesUs, 50) / 1000,
  };
}

function failover(
  protocol: string,
  seed: number,
): { electedMs: number; servingMs: number } | undefined {
  const crashAtUs = 1_000_000;
  let firstOkAfterUs: number | undefined;
  let crashed = false;
  const onEvent = (event: TraceEvent): void => {
    if (
      crashed &&
      firstOkAfterUs === undefined &&
      event.type === 'complete' &&
      event.outcome === 'ok'
    ) {
      firstOkAfterUs = event.t;
    }
  };
  const config = resolveSimConfig({
    protocol,
    nodes: 3,
    seed,
    durationUs: 4_000_000,
    clients: WORKLOAD,
    linearizability: { enabled: false },
  });
  const simulation = new Simulation(config, { onEvent });
  simulation.runUntil(crashAtUs);
  const leader = leaderOf(simulation);
  if (leader === undefined) return undefined;
  simulation.inject({ type: 'crash', nodes: [leader] });
  crashed = true;
  let electedUs: number | undefined;
  while (!simulation.done && (electedUs === undefined || firstOkAfterUs === undefined)) {
    simulation.step();
    const now = leaderOf(simulation);
    if (electedUs === undefined && now !== undefined && now !== leader)
      electedUs = simulation.nowUs;
  }
  if (electedUs === undefined || firstOkAfterUs === undefined) return undefined;
  return {
    electedMs: (electedUs - crashAtUs) / 1000,
    servingMs: (firstOkAfterUs - crashAtUs) / 1000,
  };
}

function main(argv: readonly string[]): void {
  const seedsIndex = argv.indexOf('--seeds');
  const seeds = seedsIndex >= 0 ? Number(argv[seedsIndex + 1]) : 200;
  const protocols = argv.filter(
    (arg, index) => !arg.startsWith('--') && argv[index - 1] !== '--seeds',
  );
  const chosen = protocols.length > 0 ? protocols : ['raft', 'multipaxos'];
  process.stdout.write(
    `machine: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, node ${process.version}\n`,
  );
  for (const protocol of chosen) {
    const steady = steadyState(protocol);
    const elected: number[] = [];
    const serving: number[] = [];
    for (let seed = 1; seed <= seeds; seed++) {
      const result = failover(protocol, seed);
      if (result === undefined) continue;
      elected.push(result.electedMs);
      serving.push(result.servingMs);
    }
    elected.sort((a, b) => a - b);
    serving.sort((a, b) => a - b);
    process.stdout.write(
      `${protocol}: ${steady.messagesPerWrite.toFixed(2)} messages per write, median write latency ` +
        `${steady.latencyMedianMs.toFixed(2)} ms; failover over ${elected.length} seeds: new leader ` +
        `median ${percentile(elected, 50).toFixed(1)} ms p99 ${percentile(elected, 99).toFixed(1)} ms, ` +
        `serving again median ${percentile(serving, 50).toFixed(1)} ms p99 ${percentile(serving, 99).toFixed(1)} ms\n`,
    );
  }
}

main(process.argv.slice(2));
