import { Command, CommanderError } from 'commander';
import { SynodError } from '../core/errors.js';
import { EXIT, type CliIo } from './io.js';
import { registerBenchCommand } from './bench/bench-command.js';
import { registerCheckCommand } from './check-command.js';
import { registerDemoCommand } from './demo-command.js';
import { registerScenarioCommand } from './scenario-command.js';
import { registerServerCommands } from './server-commands.js';
import { registerSimCommand } from './sim-command.js';
import { registerSnapshotCommand } from './snapshot-command.js';
import { registerVariantsCommand } from './variants-command.js';
import { registerVizCommand } from './viz-command.js';

export const VERSION = '0.1.0';

/** The `synod` program with every command, writing to `io`. */
export function createProgram(io: CliIo): Command {
  const program = new Command('synod')
    .description(
      'Consensus and replication, done properly: the protocols of the Paxos family as pure state ' +
        'machines, a deterministic simulator with fault injection, and checkers that prove or refute safety.',
    )
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) })
    .exitOverride();
  registerBenchCommand(program, io);
  registerCheckCommand(program, io);
  registerDemoCommand(program, io);
  registerScenarioCommand(program, io);
  registerServerCommands(program, io);
  registerSimCommand(program, io);
  registerSnapshotCommand(program, io);
  registerVariantsCommand(program, io);
  registerVizCommand(program, io);
  for (const command of program.commands) {
    command
      .exitOverride()
      .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) });
  }
  return program;
}

/**
 * Runs the CLI on `argv` (without node and script), mapping every failure to an exit code and a
 * plain message: usage errors exit 2 with commander's message; `SynodError`s print their message;
 * anything else is a bug and prints its stack.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<void> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version exit 0; every usage error (and help shown because of one) exits 2.
      io.setExitCode(error.exitCode === 0 ? EXIT.ok : EXIT.usage);
      return;
    }
    if (error instanceof SynodError) {
      io.err(`synod: ${error.message}\n`);
      io.setExitCode(error.exitCode);
      return;
    }
    throw error;
  }
}
