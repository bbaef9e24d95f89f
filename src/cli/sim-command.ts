import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { type Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { SynodError } from '../core/errors.js';
import type * as SimIndex from '../sim/index.js';
import type { RunResult, SimConfig, SimConfigInput } from '../sim/index.js';
import { NEMESIS_NAMES } from '../sim/nemesis.js';
import {
  type SeedRange,
  parseDurationUs,
  parseList,
  parsePositiveInteger,
  parseSeed,
  parseSeedRange,
} from './arguments.js';
import { EXIT, type CliIo } from './io.js';
import { formatDurationUs, formatRunReport } from './sim-report.js';

export interface SimOptions {
  protocol?: string;
  variant?: string;
  seed?: number;
  seeds?: SeedRange;
  nodes?: number;
  nemesis?: string[];
  duration?: number;
  clients?: number;
  scenario?: string;
  trace?: string;
  json?: boolean;
}

/** The faults a run gets when neither `--nemesis` nor a scenario names any. */
export const DEFAULT_NEMESES = ['partition', 'kill', 'restart', 'pause'] as const;

export function registerSimCommand(program: Command, io: CliIo): void {
  program
    .command('sim')
    .description(
      'simulate a cluster under faults, check every step, and print a seed that replays any failure',
    )
    .addOption(new Option('--protocol <name>', 'the protocol; `synod variants` lists them'))
    .option(
      '--variant <name>',
      'a variant of the protocol; see `synod variants` (default: default)',
    )
    .option('--seed <n>', 'run one simulation with this seed', parseSeed)
    .option(
      '--seeds <a..b>',
      'sweep the seeds from a to b (inclusive), stopping at the first violation',
      parseSeedRange,
    )
    .option(
      '--nodes <n>',
      "cluster size (default: the protocol's)",
      parsePositiveInteger('--nodes', 1, 64),
    )
    .option(
      '--nemesis <list>',
      `comma-separated faults: ${NEMESIS_NAMES.join(', ')}, or none (default: ${DEFAULT_NEMESES.join(',')})`,
      parseList('nemesis', [...NEMESIS_NAMES, 'none']),
    )
    .option(
      '--duration <t>',
      'virtual time to simulate, e.g. 500ms, 10s, 2m (default: 5s)',
      parseDurationUs,
    )
    .option(
      '--clients <n>',
      'concurrent client processes for KV protocols',
      parsePositiveInteger('--clients', 0, 1000),
    )
    .option(
      '--scenario <file>',
      'a JSON scenario describing the whole run (flags given here override it)',
    )
    .option(
      '--trace <file>',
      'write the JSON-lines trace of the run (for a sweep: of the failing seed)',
    )
    .option('--json', 'print one JSON summary object as the last line of stdout')
    .addHelpText(
      'after',
      `
Every run checks the protocol's invariants after every event and, for protocols that serve
clients, the linearizability of the client history at the end. Exit status: 0 no violation,
1 a violation, 3 a linearizability check that ran out of budget, 2 bad usage.

Examples:
  synod sim --protocol raft --seed 7
  synod sim --protocol paxos --variant minority-quorum --seeds 1..1000
  synod sim --protocol raft --nemesis partition,kill --duration 20s --trace run.jsonl
  synod sim --scenario my-run.json --seed 3`,
    )
    .action(async (options: SimOptions) => {
      await runSimCommand(options, io);
    });
}

/** The simulator and every protocol, loaded only by the commands that run them (fast start-up for the rest). */
export type SimModule = typeof SimIndex;
export const loadSim = (): Promise<SimModule> => import('../sim/index.js');

/** Builds the run's configuration from the scenario file (if any) and the flags, flags winning. */
export function buildSimConfig(sim: SimModule, options: SimOptions): SimConfig {
  const { protocolNames, resolveSimConfig } = sim;
  if (options.seed !== undefined && options.seeds !== undefined) {
    throw new SynodError('BAD_USAGE', 'give either --seed or --seeds, not both.');
  }
  const base: Record<string, unknown> =
    options.scenario === undefined
      ? {}
      : (scenarioObject(sim, options.scenario) as Record<string, unknown>);
  const protocol = options.protocol ?? (base.protocol as string | undefined);
  if (protocol === undefined) {
    throw new SynodError(
      'BAD_USAGE',
      `--protocol is required (one of ${protocolNames().join(', ')}), or a --scenario that names one.`,
    );
  }
  const input: Record<string, unknown> = { ...base, protocol };
  if (options.variant !== undefined) input.variant = options.variant;
  if (options.nodes !== undefined) input.nodes = options.nodes;
  if (options.duration !== undefined) input.durationUs = options.duration;
  if (options.seed !== undefined) input.seed = options.seed;
  else if (options.seeds !== undefined) input.seed = options.seeds.from;
  const nemesis = { ...((base.nemesis as Record<string, unknown> | undefined) ?? {}) };
  if (options.nemesis !== undefined)
    nemesis.generators = options.nemesis.filter((name) => name !== 'none');
  else if (options.scenario === undefined) nemesis.generators = [...DEFAULT_NEMESES];
  input.nemesis = nemesis;
  if (options.clients !== undefined) {
    input.clients = {
      ...((base.clients as Record<string, unknown> | undefined) ?? {}),
      count: options.clients,
    };
  }
  return resolveSimConfig(input as SimConfigInput, options.scenario ?? 'options');
}

function scenarioObject(sim: SimModule, file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SynodError(
      'UNREADABLE_INPUT',
      `cannot read the scenario ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  sim.parseScenario(text, file); // validates, with the file's name in every message
  return JSON.parse(text);
}

/** The command line that replays `seed` of this configuration exactly. */
export function replayCommand(
  options: SimOptions,
  config: SimConfig,
  seed: number,
  traceFile?: string,
): string {
  const parts = ['synod sim'];
  if (options.scenario !== undefined) parts.push(`--scenario ${shellQuote(options.scenario)}`);
  parts.push(`--protocol ${config.protocol}`);
  if (config.variant !== 'default') parts.push(`--variant ${config.variant}`);
  if (options.nodes !== undefined) parts.push(`--nodes ${options.nodes}`);
  if (options.nemesis !== undefined) parts.push(`--nemesis ${options.nemesis.join(',')}`);
  if (options.duration !== undefined)
    parts.push(`--duration ${formatDurationUs(options.duration)}`);
  if (options.clients !== undefined) parts.push(`--clients ${options.clients}`);
  parts.push(`--seed ${seed}`);
  if (traceFile !== undefined) parts.push(`--trace ${shellQuote(traceFile)}`);
  return parts.join(' ');
}

function shellQuote(text: string): string {
  return /^[\w./@:=,+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

export async function runSimCommand(options: SimOptions, io: CliIo): Promise<void> {
  const sim = await loadSim();
  const config = buildSimConfig(sim, options);
  const seeds = options.seeds ?? { from: config.seed, to: config.seed };
  const sweeping = options.seeds !== undefined;
  const outcome = sweeping
    ? await sweepSeeds(sim, config, seeds, io, options.json !== true)
    : singleRun(sim, config, options.trace);
  const failing = outcome.firstViolation;
  if (failing !== undefined && sweeping && options.trace !== undefined) {
    runTraced(sim, { ...config, seed: failing.seed }, options.trace); // the same seed replays the same run
  }
  const replay =
    failing === undefined
      ? undefined
      : replayCommand(options, config, failing.seed, options.trace ?? 'violation.jsonl');
  if (options.json === true) {
    io.out(`${JSON.stringify(summaryObject(config, seeds, outcome, replay))}\n`);
  } else {
    io.out(formatOutcome(config, seeds, outcome, sweeping, replay));
  }
  if (failing !== undefined) io.setExitCode(EXIT.violation);
  else if (outcome.unknownSeeds.length > 0) io.setExitCode(EXIT.unknown);
}

interface Outcome {
  runs: number;
  passed: number;
  unknownSeeds: number[];
  firstViolation?: RunResult;
  /** The one run of a single-seed invocation, for its detailed report. */
  single?: RunResult;
  interrupted: boolean;
}

function singleRun(sim: SimModule, config: SimConfig, traceFile: string | undefined): Outcome {
  const result =
    traceFile === undefined ? sim.runSimulation(config) : runTraced(sim, config, traceFile);
  const unknown = result.ok && result.linearizability?.verdict === 'unknown';
  return {
    runs: 1,
    passed: result.ok && !unknown ? 1 : 0,
    unknownSeeds: unknown ? [result.seed] : [],
    firstViolation: result.ok ? undefined : result,
    single: result,
    interrupted: false,
  };
}

/** Runs `config` with its trace written to `file`, buffered so that tracing costs few syscalls. */
function runTraced(sim: SimModule, config: SimConfig, file: string): RunResult {
  let fd: number;
  try {
    fd = openSync(file, 'w');
  } catch (error) {
    throw new SynodError(
      'UNWRITABLE_OUTPUT',
      `cannot write the trace ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  let buffer: string[] = [];
  let bufferedChars = 0;
  const flush = () => {
    if (buffer.length > 0) writeSync(fd, buffer.join(''));
    buffer = [];
    bufferedChars = 0;
  };
  try {
    return sim.runSimulation(config, {
      trace: (line) => {
        buffer.push(line, '\n');
        bufferedChars += line.length + 1;
        if (bufferedChars > 1 << 20) flush();
      },
    });
  } finally {
    flush();
    closeSync(fd);
  }
}

async function sweepSeeds(
  sim: SimModule,
  config: SimConfig,
  seeds: SeedRange,
  io: CliIo,
  showProgress: boolean,
): Promise<Outcome> {
  const total = seeds.to - seeds.from + 1;
  const bar =
    showProgress && io.isTty && process.stderr.isTTY
      ? new cliProgress.SingleBar(
          {
            format:
              ' {bar} {value}/{total} seeds | {passed} passed | seed {seed} | eta {eta_formatted}',
            stream: process.stderr,
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  bar?.start(total, 0, { passed: 0, seed: seeds.from });
  let interrupted = false;
  const onInterrupt = () => {
    interrupted = true;
  };
  process.once('SIGINT', onInterrupt);
  const outcome: Outcome = { runs: 0, passed: 0, unknownSeeds: [], interrupted: false };
  try {
    for (let seed = seeds.from; seed <= seeds.to && !interrupted; seed++) {
      const result = sim.runSimulation({ ...config, seed });
      outcome.runs++;
      if (!result.ok) outcome.firstViolation = result;
      else if (result.linearizability?.verdict === 'unknown') outcome.unknownSeeds.push(seed);
      else outcome.passed++;
      bar?.update(outcome.runs, { passed: outcome.passed, seed });
      if (!result.ok) break;
      await new Promise((resolve) => setImmediate(resolve)); // let the bar redraw and Ctrl-C land
    }
  } finally {
    bar?.stop();
    process.removeListener('SIGINT', onInterrupt);
  }
  outcome.interrupted = interrupted;
  return outcome;
}

function summaryObject(
  config: SimConfig,
  seeds: SeedRange,
  outcome: Outcome,
  replay: string | undefined,
) {
  const violation = outcome.firstViolation?.violation;
  return {
    protocol: config.protocol,
    variant: config.variant,
    nodes: config.nodes,
    seeds,
    runs: outcome.runs,
    passed: outcome.passed,
    violations: outcome.firstViolation === undefined ? 0 : 1,
    firstFailingSeed: outcome.firstViolation?.seed ?? null,
    unknownSeeds: outcome.unknownSeeds,
    interrupted: outcome.interrupted,
    violation:
      violation === undefined
        ? null
        : {
            kind: violation.kind,
            invariant: violation.invariant ?? null,
            message: violation.message,
            atUs: violation.atUs,
          },
    replay: replay ?? null,
    ...(outcome.single === undefined
      ? {}
      : {
          stats: outcome.single.stats,
          linearizability: outcome.single.linearizability?.verdict ?? null,
        }),
  };
}

function formatOutcome(
  config: SimConfig,
  seeds: SeedRange,
  outcome: Outcome,
  sweeping: boolean,
  replay: string | undefined,
): string {
  const lines: string[] = [];
  if (outcome.single !== undefined) lines.push(formatRunReport(config, outcome.single));
  if (sweeping) {
    lines.push(
      `${config.protocol} (${config.variant}), seeds ${seeds.from}..${seeds.to}: ${outcome.runs} run${outcome.runs === 1 ? '' : 's'}, ` +
        `${outcome.passed} passed, ${outcome.firstViolation === undefined ? 'no violation' : '1 violation'}${outcome.interrupted ? ' (interrupted)' : ''}` +
        (outcome.unknownSeeds.length > 0
          ? `, linearizability unknown for seeds ${outcome.unknownSeeds.join(', ')}`
          : ''),
    );
    if (outcome.firstViolation !== undefined)
      lines.push(formatRunReport(config, outcome.firstViolation));
  }
  if (replay !== undefined) lines.push(`replay: ${replay}`);
  return `${lines.join('\n')}\n`;
}
