/**
 * Simulator throughput: deliveries per second of wall-clock time, on one core.
 *
 *   node dist/bench/sim-bench.js [protocol] [--seconds N]
 *
 * 1. ping-pong: a protocol that does nothing but answer messages, so the figure is the
 *    simulator's own cost per delivery (heap, network model, Ready draining, invariant hook).
 * 2. a real protocol from the registry (default fixed-leader; pass `raft` once it is registered)
 *    with its default clients and no faults, without tracing; linearizability checking is off
 *    here because it measures the checker, not the simulator.
 */
import { cpus } from 'node:os';
import { SynodError } from '../src/core/errors.js';
import {
  type RunResult,
  type SimConfig,
  Simulation,
  findProtocol,
  resolveSimConfig,
} from '../src/sim/index.js';
import { pingPongDefinition } from '../src/sim/testing/ping-pong.js';

interface Measurement {
  readonly name: string;
  readonly deliveries: number;
  readonly events: number;
  readonly wallMs: number;
  readonly virtualS: number;
}

function measure(
  name: string,
  config: SimConfig,
  definition = findProtocol(config.protocol),
): Measurement {
  const simulation = new Simulation(config, { definition });
  const startMs = performance.now();
  const result: RunResult = simulation.run();
  const wallMs = performance.now() - startMs;
  return {
    name,
    deliveries: result.stats.deliveries,
    events: result.stats.events,
    wallMs,
    virtualS: result.endUs / 1e6,
  };
}

function report(measurement: Measurement): void {
  const perSecond = (count: number) => Math.round((count / measurement.wallMs) * 1000);
  console.log(
    `${measurement.name.padEnd(34)} ${perSecond(measurement.deliveries).toLocaleString('en-US').padStart(11)} deliveries/s` +
      `  ${perSecond(measurement.events).toLocaleString('en-US').padStart(11)} events/s` +
      `  (${measurement.deliveries.toLocaleString('en-US')} deliveries, ${measurement.virtualS} s virtual in ${Math.round(measurement.wallMs)} ms)`,
  );
}

function best(runs: number, run: () => Measurement): Measurement {
  let fastest: Measurement | undefined;
  for (let index = 0; index < runs; index++) {
    const measurement = run();
    if (fastest === undefined || measurement.wallMs < fastest.wallMs) fastest = measurement;
  }
  return fastest!;
}

function main(argv: readonly string[]): void {
  const secondsFlag = argv.indexOf('--seconds');
  const virtualSeconds = secondsFlag >= 0 ? Number(argv[secondsFlag + 1]) : 60;
  const protocol =
    argv.find((arg, index) => !arg.startsWith('--') && argv[index - 1] !== '--seconds') ??
    'fixed-leader';
  const cpu = cpus();
  console.log(
    `machine: ${cpu[0]?.model ?? 'unknown cpu'}, ${cpu.length} cores, node ${process.version}`,
  );
  console.log('best of 3 runs, one core, no trace sink\n');

  const pingPong = resolveSimConfig(
    { protocol: 'ping-pong', nodes: 5, seed: 1, durationUs: virtualSeconds * 1_000_000 },
    'benchmark',
    pingPongDefinition,
  );
  report(
    best(3, () => measure('ping-pong (no-op protocol, 5 nodes)', pingPong, pingPongDefinition)),
  );

  const definition = findProtocol(protocol);
  const real = resolveSimConfig({
    protocol,
    seed: 1,
    durationUs: virtualSeconds * 1_000_000,
    linearizability: { enabled: false },
  });
  report(
    best(3, () =>
      measure(
        `${protocol} (${definition.defaultNodes} nodes, ${real.clients.count} clients)`,
        real,
      ),
    ),
  );
}

try {
  main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof SynodError)) throw error;
  console.error(`sim-bench: ${error.message}`);
  process.exitCode = 2;
}
