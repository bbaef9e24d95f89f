import { readFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  type CheckResult,
  HISTORY_FORMATS,
  HistoryError,
  type HistoryFormat,
  MODEL_NAMES,
  type ModelName,
  type ParsedHistory,
  checkHistory,
  inferModel,
  parseHistory,
} from '../check/index.js';
import { EXIT, type CliIo, processIo } from './io.js';

export interface CheckCommandOptions {
  readonly model?: ModelName;
  readonly format: 'auto' | HistoryFormat;
  /** Seconds per file. */
  readonly timeout: number;
  readonly maxSteps?: number;
  readonly json?: boolean;
}

/** What `synod check` needs from the outside world; tests replace `readText`. */
export interface CheckCommandDeps {
  readonly io: CliIo;
  readonly readText: (file: string) => Promise<string>;
  readonly now: () => number;
}

export const DEFAULT_CHECK_TIMEOUT_S = 60;

const HELP_AFTER = `
Formats (--format auto detects them):
  json        our history format: a JSON array of events, or one event object per line
              (see docs/history-format.md)
  jepsen-log  the operation lines Jepsen prints while a test runs, e.g.
              INFO  jepsen.util - 3  :invoke  :cas  [1 3]
  jepsen-edn  Jepsen's EDN history, one map a line, e.g.
              {:process 0, :type :invoke, :f :read, :value nil}

Models (--model):
  register      read and write of one value per key (values compare as JSON)
  cas-register  a register with cas [expected new]; the default for Jepsen formats
  kv            get, put, delete, cas, inc, range and append over string keys
  For JSON histories the default comes from the functions present: only read and
  write is a register, read, write and cas a cas-register, anything else kv.

Output: one line per file, "FILE: linearizable", "FILE: not linearizable" (followed by
an explanation, indented) or "FILE: unknown" (the time or step budget ran out before
the search decided). With --json, one JSON object per file and line instead.

Exit status: 0 all linearizable, 1 some not linearizable, 3 some unknown (and none
not linearizable), 2 bad usage or a file that cannot be read or is not a valid history.

Examples:
  synod check history.json
  synod check --model cas-register test_data/jepsen/etcd_*.log
  synod check --format jepsen-edn --model kv --timeout 10 history.edn
  synod check --json runs/*.jsonl | jq 'select(.verdict != "linearizable")'
`;

function parseTimeoutSeconds(text: string): number {
  const value = Number(text);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(text) || !(value > 0))
    throw new InvalidArgumentError(`the timeout is a positive number of seconds, got "${text}".`);
  return value;
}

function parseMaxSteps(text: string): number {
  const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1)
    throw new InvalidArgumentError(`--max-steps is a positive integer, got "${text}".`);
  return value;
}

/** Adds `synod check` to the program. */
export function registerCheckCommand(
  program: Command,
  io: CliIo = processIo,
  deps: Partial<Omit<CheckCommandDeps, 'io'>> = {},
): Command {
  const resolved: CheckCommandDeps = {
    io,
    readText: deps.readText ?? ((file) => readFile(file, 'utf8')),
    now: deps.now ?? (() => performance.now()),
  };
  return program
    .command('check')
    .description('check histories for linearizability (ours in JSON, or Jepsen logs and EDN)')
    .argument('<file...>', 'history files to check, each on its own')
    .addOption(
      new Option('--model <model>', 'the object the history is checked against').choices(
        MODEL_NAMES,
      ),
    )
    .addOption(
      new Option('--format <format>', 'the input format')
        .choices(['auto', ...HISTORY_FORMATS])
        .default('auto'),
    )
    .option(
      '--timeout <seconds>',
      'give up on a file after this long; its verdict is then unknown',
      parseTimeoutSeconds,
      DEFAULT_CHECK_TIMEOUT_S,
    )
    .option(
      '--max-steps <n>',
      'give up on a file after this many search steps (deterministic, unlike --timeout)',
      parseMaxSteps,
    )
    .option('--json', 'print one JSON object per file and line')
    .addHelpText('after', HELP_AFTER)
    .action(async (files: string[], options: CheckCommandOptions) => {
      io.setExitCode(await runCheckCommand(files, options, resolved));
    });
}

type FileOutcome =
  | {
      readonly kind: 'checked';
      readonly result: CheckResult;
      readonly parsed: ParsedHistory;
      readonly model: ModelName;
    }
  | { readonly kind: 'error'; readonly message: string; readonly code: string };

/** Checks each file in turn and returns the exit status. */
export async function runCheckCommand(
  files: readonly string[],
  options: CheckCommandOptions,
  deps: CheckCommandDeps,
): Promise<number> {
  let sawViolation = false;
  let sawUnknown = false;
  let sawError = false;
  for (const file of files) {
    const outcome = await checkFile(file, options, deps);
    if (outcome.kind === 'error') sawError = true;
    else if (outcome.result.verdict === 'not linearizable') sawViolation = true;
    else if (outcome.result.verdict === 'unknown') sawUnknown = true;
    deps.io.out(
      options.json === true ? jsonLine(file, outcome) : textLines(file, outcome, options),
    );
    if (outcome.kind === 'error') deps.io.err(`synod check: ${outcome.message}\n`);
  }
  if (sawError) return EXIT.usage;
  if (sawViolation) return EXIT.violation;
  if (sawUnknown) return EXIT.unknown;
  return EXIT.ok;
}

async function checkFile(
  file: string,
  options: CheckCommandOptions,
  deps: CheckCommandDeps,
): Promise<FileOutcome> {
  let text: string;
  try {
    text = await deps.readText(file);
  } catch (error) {
    const reason =
      error instanceof Error && 'code' in error ? readErrorReason(error) : String(error);
    return {
      kind: 'error',
      code: 'FILE_UNREADABLE',
      message: `${file}: cannot read the file: ${reason}`,
    };
  }
  try {
    const parsed = parseHistory(text, { format: options.format, fileName: file });
    const model = options.model ?? defaultModel(parsed);
    const result = checkHistory(parsed.history, {
      model,
      timeoutMs: options.timeout * 1000,
      now: deps.now,
      ...(options.maxSteps === undefined ? {} : { maxSteps: options.maxSteps }),
    });
    return { kind: 'checked', result, parsed, model };
  } catch (error) {
    if (!(error instanceof HistoryError)) throw error;
    // Errors found by the checker point at an event; name its line in the file.
    const eventIndex = error.location.eventIndex;
    const located =
      error.location.fileName === undefined
        ? error.withLocation({ fileName: file, ...lineOf(text, options, eventIndex) })
        : error;
    return { kind: 'error', code: located.code, message: located.message };
  }
}

function lineOf(
  text: string,
  options: CheckCommandOptions,
  eventIndex: number | undefined,
): { line?: number } {
  if (eventIndex === undefined) return {};
  const line = parseHistory(text, { format: options.format }).lines[eventIndex];
  return line === undefined ? {} : { line };
}

function readErrorReason(error: Error & { code?: unknown }): string {
  switch (error.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return error.message;
  }
}

/** Jepsen histories are registers with cas; ours say what they are by their functions. */
function defaultModel(parsed: ParsedHistory): ModelName {
  if (parsed.format !== 'json') return 'cas-register';
  return inferModel(new Set(parsed.history.map((event) => event.f)));
}

function textLines(file: string, outcome: FileOutcome, options: CheckCommandOptions): string {
  // The message itself goes to stderr; stdout keeps one verdict line per file.
  if (outcome.kind === 'error') return `${file}: error\n`;
  const { result } = outcome;
  const lines = [`${file}: ${result.verdict}`];
  if (result.violation !== undefined) lines.push(indent(result.violation.explanation));
  if (result.verdict === 'unknown')
    lines.push(
      indent(
        result.exhausted === 'steps'
          ? `the search used its ${options.maxSteps ?? ''} steps without deciding (raise --max-steps)`
          : result.exhausted === 'memory'
            ? 'the search memo reached its memory bound without deciding (the history has too many concurrent or indeterminate operations to check exhaustively)'
            : `the search ran out of time after ${options.timeout} s without deciding (raise --timeout)`,
      ),
    );
  return `${lines.join('\n')}\n`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

function jsonLine(file: string, outcome: FileOutcome): string {
  if (outcome.kind === 'error')
    return `${JSON.stringify({ file, verdict: 'error', error: { code: outcome.code, message: outcome.message } })}\n`;
  const { result, parsed, model } = outcome;
  return `${JSON.stringify({
    file,
    verdict: result.verdict,
    operations: result.operations,
    ms: Math.round(result.ms * 1000) / 1000,
    model,
    format: parsed.format,
    partitions: result.partitions,
    steps: result.steps,
    ...(result.exhausted === undefined ? {} : { exhausted: result.exhausted }),
    ...(result.violation === undefined ? {} : { violation: result.violation }),
  })}\n`;
}
