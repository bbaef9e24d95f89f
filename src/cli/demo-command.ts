import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { RunResult, SimConfig, TraceEvent } from '../sim/index.js';
import { parseSeed } from './arguments.js';
import { EXIT, type CliIo } from './io.js';
import { packageRoot } from './package-root.js';
import { type SimModule, loadSim } from './sim-command.js';
import { formatTimeUs } from './sim-report.js';

/**
 * The protocol the demo shows, best first among those present, and a scenario file (in the
 * package's scenarios/ folder) under which its unsafe variant breaks quickly.
 */
const DEMO_CHOICES = [
  { protocol: 'raft', unsafeScenario: 'scenarios/raft-commit-old-term.json' },
  { protocol: 'fixed-leader', unsafeScenario: 'scenarios/fixed-leader-ack-before-sync.json' },
] as const;

const SEARCH_SEEDS_MAX = 1000;

export function registerDemoCommand(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description("a short, narrated simulation: a cluster under faults, and the checkers' verdicts")
    .option('--seed <n>', 'the seed of the first run (default: 1)', parseSeed)
    .action(async (options: { seed?: number }) => runDemo(await loadSim(), io, options.seed ?? 1));
}

export function runDemo(sim: SimModule, io: CliIo, seed: number): void {
  const { findProtocol, parseScenario, protocolNames, resolveSimConfig, runSimulation } = sim;
  const names = protocolNames();
  const choice =
    DEMO_CHOICES.find((candidate) => names.includes(candidate.protocol)) ?? DEMO_CHOICES[1];
  const definition = findProtocol(choice.protocol);
  const nodes = definition.defaultNodes;
  const config = resolveSimConfig({
    protocol: choice.protocol,
    nodes,
    seed,
    durationUs: 5_000_000,
    nemesis: { generators: ['partition', 'kill', 'restart'] },
  });
  io.out(
    `Synod demo: a ${nodes}-node ${choice.protocol} cluster in the deterministic simulator (seed ${seed}).\n` +
      `${config.clients.count} clients issue get/put/cas/inc/delete on ${config.clients.keys} keys for 5 s of virtual time,\n` +
      `while the nemesis partitions the network and kills and restarts nodes.\n\n`,
  );
  const timeline: string[] = [];
  const result = runSimulation(config, { onEvent: (event) => narrate(event, timeline) });
  io.out(`${timeline.join('\n')}\n\n`);
  io.out(verdictLines(result));

  const unsafeConfig = parseScenario(
    readFileSync(join(packageRoot(), choice.unsafeScenario), 'utf8'),
    choice.unsafeScenario,
  );
  const variant = definition.variants.find((known) => known.name === unsafeConfig.variant);
  io.out(
    `\nNow the unsafe variant "${unsafeConfig.variant}" of ${choice.protocol}: ${variant?.description ?? ''}\n` +
      `Searching seeds of ${choice.unsafeScenario} for a run where the checkers catch it…\n`,
  );
  const broken = findViolation(sim, unsafeConfig, seed);
  if (broken === undefined) {
    io.out(
      `  no violation in seeds ${seed}..${seed + SEARCH_SEEDS_MAX - 1} (unexpected: the checkers should catch this variant).\n`,
    );
    io.setExitCode(EXIT.violation);
  } else {
    io.out(verdictLines(broken));
    io.out(
      `  replay it exactly: npx synod sim --scenario ${choice.unsafeScenario} --seed ${broken.seed} --trace violation.jsonl\n`,
    );
  }
  io.out(
    '\nNext: `npx synod variants` lists every protocol and its unsafe variants; ' +
      '`npx synod sim --help` runs your own sweeps; `npx synod check --help` checks Jepsen histories.\n',
  );
}

function findViolation(
  sim: SimModule,
  config: SimConfig,
  firstSeed: number,
): RunResult | undefined {
  for (let seed = firstSeed; seed < firstSeed + SEARCH_SEEDS_MAX; seed++) {
    const result = sim.runSimulation({ ...config, seed });
    if (!result.ok) return result;
  }
  return undefined;
}

/** Keeps the events a newcomer should see: leaders, faults, repairs. */
function narrate(event: TraceEvent, timeline: string[]): void {
  const at = `  t=${formatTimeUs(event.t)}  `;
  switch (event.type) {
    case 'state':
      if (event.role === 'leader') {
        const epoch =
          event.epoch === null || event.epoch === undefined
            ? ''
            : ` (${event.epoch.name} ${event.epoch.value})`;
        timeline.push(`${at}node ${event.node} becomes leader${epoch}`);
      }
      return;
    case 'partition':
      timeline.push(`${at}network partitioned: ${event.description}`);
      return;
    case 'heal':
      timeline.push(`${at}network healed`);
      return;
    case 'crash':
      timeline.push(`${at}node ${event.node} crashes`);
      return;
    case 'restart':
      timeline.push(
        `${at}node ${event.node} restarts from ${event.restoredRecords} durable records`,
      );
      return;
    default:
      return;
  }
}

function verdictLines(result: RunResult): string {
  const s = result.stats;
  const lines = [
    `  seed ${result.seed}: ${s.invocations} client operations: ${s.completionsOk} ok, ${s.completionsFail} failed, ${s.completionsInfo} indeterminate (timed out)`,
  ];
  if (result.violation?.kind === 'invariant') {
    lines.push(
      `  invariant ${result.violation.invariant ?? ''} VIOLATED at t=${formatTimeUs(result.violation.atUs)}: ${result.violation.message}`,
    );
  } else {
    lines.push("  invariants: held after every one of the run's events");
  }
  const verdict = result.linearizability;
  if (verdict !== undefined) {
    lines.push(`  linearizability checker: ${verdict.verdict}`);
    if (verdict.verdict === 'not linearizable' && verdict.explanation !== undefined) {
      lines.push(...verdict.explanation.split('\n').map((line) => `    ${line}`));
    }
  }
  return `${lines.join('\n')}\n`;
}
