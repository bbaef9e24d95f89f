/**
 * Linearizability checker throughput: time to check generated histories of 1k, 10k and 100k
 * operations with 5, 20 and 100 client processes (kv over a handful of keys, and a single-key
 * cas-register), then `synod check` end to end, process start included, on 100 Jepsen-etcd-style
 * logs (~160 events, 5 processes, many :info timeouts, values 0..4).
 *
 *   npm run build && node dist/bench/checker-bench.js [--timeout 60] [--quick]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { checkHistory, parseHistory } from '../src/check/index.js';
import type { ModelName } from '../src/check/index.js';
import {
  type GeneratorOptions,
  generateLinearizableHistory,
  renderJepsenLog,
} from '../src/check/history-generator.js';
import { registerCheckCommand } from '../src/cli/check-command.js';
import { processIo } from '../src/cli/io.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const CHECK_CLI_FLAG = '--as-check-cli';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7'];

interface Case {
  readonly label: string;
  readonly model: ModelName;
  readonly generator: GeneratorOptions;
}

function cases(quick: boolean): Case[] {
  const sizes = quick ? [1_000, 10_000] : [1_000, 10_000, 100_000];
  const list: Case[] = [];
  for (const operations of sizes)
    for (const processes of [5, 20, 100]) {
      list.push({
        label: `kv, ${KEYS.length} keys`,
        model: 'kv',
        generator: {
          seed: 1,
          operations,
          processes,
          kind: 'kv',
          keys: KEYS,
          infoProbability: 0.01,
        },
      });
      list.push({
        label: 'cas-register, 1 key',
        model: 'cas-register',
        generator: { seed: 1, operations, processes, kind: 'register', infoProbability: 0.01 },
      });
    }
  return list;
}

function benchGenerated(timeoutS: number, quick: boolean): void {
  console.log(`\nGenerated histories (1% of operations time out; budget ${timeoutS} s each)`);
  console.log(
    'model                 operations  processes  events     verdict           ms  steps',
  );
  for (const { label, model, generator } of cases(quick)) {
    const history = generateLinearizableHistory(generator);
    const result = checkHistory(history, { model, timeoutMs: timeoutS * 1000 });
    console.log(
      `${label.padEnd(21)} ${String(generator.operations).padStart(10)}  ${String(generator.processes).padStart(9)}  ${String(history.length).padStart(6)}  ${result.verdict.padEnd(16)} ${result.ms.toFixed(0).padStart(6)}  ${result.steps}`,
    );
  }
}

/** Jepsen's etcd register test: 5 clients, values 0..4, many timeouts (a partitioning nemesis). */
function writeJepsenStyleFiles(
  dir: string,
  count: number,
): {
  files: string[];
  events: number;
  timeouts: number;
} {
  const files: string[] = [];
  let events = 0;
  let timeouts = 0;
  for (let seed = 0; seed < count; seed++) {
    const history = generateLinearizableHistory({
      seed: 1000 + seed,
      operations: 80,
      processes: 5,
      kind: 'register',
      infoProbability: 0.12,
    });
    const file = join(dir, `etcd_${String(seed).padStart(3, '0')}.log`);
    writeFileSync(file, renderJepsenLog(history));
    files.push(file);
    events += history.length;
    timeouts += history.filter((event) => event.type === 'info').length;
  }
  return { files, events, timeouts };
}

function benchJepsenFiles(): void {
  const dir = mkdtempSync(join(tmpdir(), 'synod-checker-bench-'));
  try {
    const { files, events, timeouts } = writeJepsenStyleFiles(dir, 100);
    const cli = join(repoRoot, 'bin', 'synod.js');
    const wired =
      existsSync(cli) &&
      spawnSync('node', [cli, 'check', '--help'], { encoding: 'utf8' }).stdout.includes(
        'jepsen-log',
      );
    // Until `check` is wired into the program, run the same command through this script.
    const command = wired
      ? ['node', cli, 'check']
      : ['node', fileURLToPath(import.meta.url), CHECK_CLI_FLAG];
    const runs: number[] = [];
    let output = '';
    let status: number | null = null;
    for (let run = 0; run < 5; run++) {
      const start = performance.now();
      const child = spawnSync(
        command[0] as string,
        [...command.slice(1), '--model', 'cas-register', ...files],
        {
          encoding: 'utf8',
        },
      );
      runs.push(performance.now() - start);
      output = child.stdout;
      status = child.status;
    }
    runs.sort((a, b) => a - b);
    // What the same process costs with nothing to check: node start and module loading.
    const startups: number[] = [];
    for (let run = 0; run < 5; run++) {
      const start = performance.now();
      spawnSync(command[0] as string, [...command.slice(1), '--help'], { encoding: 'utf8' });
      startups.push(performance.now() - start);
    }
    startups.sort((a, b) => a - b);
    // And the parsing and checking alone, in this process.
    const inProcessStart = performance.now();
    for (const file of files)
      checkHistory(parseHistory(readFileSync(file, 'utf8'), { format: 'auto' }).history, {
        model: 'cas-register',
      });
    const inProcessMs = performance.now() - inProcessStart;
    const verdicts = new Map<string, number>();
    for (const line of output.trim().split('\n')) {
      const verdict = line.slice(line.lastIndexOf(': ') + 2);
      verdicts.set(verdict, (verdicts.get(verdict) ?? 0) + 1);
    }
    console.log(
      `\nJepsen-etcd-style logs: ${files.length} files of ~${Math.round(events / files.length)} events, 5 processes, values 0..4, ${Math.round(timeouts / files.length)} :info timeouts per file`,
    );
    console.log(
      `  command: ${wired ? 'node bin/synod.js check' : `node ${fileURLToPath(import.meta.url)} ${CHECK_CLI_FLAG} (check is not wired into bin/synod.js yet)`} --model cas-register <${files.length} files>`,
    );
    console.log(
      `  exit status ${status}; verdicts: ${[...verdicts].map(([verdict, n]) => `${n} ${verdict}`).join(', ')}`,
    );
    console.log(
      `  end to end, process start included: median ${runs[2]?.toFixed(0)} ms, best ${runs[0]?.toFixed(0)} ms of 5 runs (${((runs[2] ?? 0) / files.length).toFixed(2)} ms per file)`,
    );
    console.log(
      `  of which starting the process (the same command with --help): median ${startups[2]?.toFixed(0)} ms`,
    );
    console.log(
      `  parsing and checking alone, in process: ${inProcessMs.toFixed(0)} ms for ${files.length} files (${(inProcessMs / files.length).toFixed(2)} ms per file)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runAsCheckCli(argv: readonly string[]): Promise<void> {
  const program = new Command('synod').exitOverride();
  registerCheckCommand(program, processIo).exitOverride();
  try {
    await program.parseAsync(['check', ...argv], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  }
}

if (process.argv[2] === CHECK_CLI_FLAG) {
  await runAsCheckCli(process.argv.slice(3));
} else {
  const cpu = cpus()[0];
  console.log('Synod linearizability checker benchmark');
  console.log(
    `machine: ${cpu?.model ?? 'unknown CPU'}, ${cpus().length} cores, node ${process.version}`,
  );
  benchJepsenFiles();
  benchGenerated(Number(option('timeout', '60')), process.argv.includes('--quick'));
}
