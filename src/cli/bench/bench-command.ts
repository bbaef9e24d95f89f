import type { Command } from 'commander';
import { SynodError } from '../../core/errors.js';
import { EXIT, type CliIo } from '../io.js';
import {
  type BenchOptions,
  type BenchWorkload,
  benchPlan,
  DEFAULT_TOTAL,
  MAX_TXN_OPS,
  parseConsistency,
  parseCount,
  parseDurationMs,
  parseRate,
  parseTxnOp,
} from './bench-options.js';
import { benchReport, formatBenchReport } from './bench-report.js';
import { runBench } from './bench-runner.js';

/**
 * `synod bench put|range|txn`: a load generator on etcd's v3 gRPC API, modelled on etcd's
 * `tools/benchmark`, so the same command measures a Synod cluster and an etcd cluster.
 */
export function registerBenchCommand(program: Command, io: CliIo): void {
  const bench = program
    .command('bench')
    .description(
      "load an etcd v3 endpoint (Synod or etcd) with puts, ranges or txns, as etcd's benchmark",
    );
  const define = (name: BenchWorkload, description: string): Command => {
    const command = bench
      .command(name)
      .description(description)
      .option('--endpoints <list>', 'host:port of each endpoint, comma-separated', '127.0.0.1:2379')
      .option('--clients <n>', 'concurrent request loops', parseCount('--clients', 1, 100_000), 1)
      .option(
        '--conns <n>',
        'gRPC connections the clients share (round-robin over the endpoints)',
        parseCount('--conns', 1, 10_000),
        1,
      )
      .option(
        '--total <n>',
        `requests to send (default ${DEFAULT_TOTAL}, or unbounded with --duration)`,
        parseCount('--total'),
      )
      .option('--duration <time>', 'stop after this long (10s, 1m)', parseDurationMs('--duration'))
      .option('--key-size <bytes>', 'key size', parseCount('--key-size', 1, 1024 * 1024), 8)
      .option('--key-space-size <n>', 'distinct keys to use', parseCount('--key-space-size'), 1)
      .option('--sequential-keys', 'walk the key space in order instead of at random')
      .option(
        '--rate <ops/s>',
        'limit to this many requests per second (0: no limit)',
        parseRate,
        0,
      )
      .option(
        '--request-timeout <time>',
        'deadline of each request',
        parseDurationMs('--request-timeout'),
        10_000,
      )
      .option('--json', 'print the report as JSON');
    if (name !== 'range')
      command.option(
        '--val-size <bytes>',
        'value size',
        parseCount('--val-size', 0, 1.5 * 1024 * 1024),
        8,
      );
    return command;
  };
  define('put', 'put random (or sequential) keys').action((options: BenchOptions) =>
    run(io, 'put', options),
  );
  define('range', 'range over a key (or keys from the key space when no key is given)')
    .argument('[key]', 'the key to read (default: keys drawn from the key space)')
    .argument('[end]', 'range end: read [key, end)')
    .option(
      '--consistency <l|s>',
      'l: linearizable (the default), s: serializable',
      parseConsistency,
    )
    .action((key: string | undefined, end: string | undefined, options: BenchOptions) =>
      run(io, 'range', { ...options, valSize: 0 }, key, end),
    );
  define('txn', 'transactions of --txn-ops puts or ranges on consecutive keys')
    .option(
      '--txn-ops <n>',
      `operations per txn (at most ${MAX_TXN_OPS}, etcd's limit)`,
      parseCount('--txn-ops', 1, MAX_TXN_OPS),
    )
    .option('--txn-op <put|range>', 'what each operation does (default put)', parseTxnOp)
    .action((options: BenchOptions) => run(io, 'txn', options));
  for (const command of [bench, ...bench.commands]) {
    command
      .exitOverride()
      .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) });
  }
}

async function run(
  io: CliIo,
  workload: BenchWorkload,
  options: BenchOptions,
  key?: string,
  end?: string,
): Promise<void> {
  if (key === '') throw new SynodError('bench-usage', 'bench: the range key is empty.');
  const plan = benchPlan(workload, options, key, end);
  const samples = await runBench(plan);
  const report = benchReport(plan, samples);
  io.out(plan.json ? `${JSON.stringify(report, null, 2)}\n` : formatBenchReport(report));
  if (report.succeeded === 0) {
    io.err('synod bench: no request succeeded.\n');
    io.setExitCode(EXIT.violation);
  }
}
