import type { Command } from 'commander';
import { loadSim } from './sim-command.js';
import type { CliIo } from './io.js';

export function registerVariantsCommand(program: Command, io: CliIo): void {
  program
    .command('variants')
    .description('list every protocol and each of its variants, the safe default included')
    .option('--json', 'print a JSON array of {protocol, variant, unsafe, description}')
    .addHelpText(
      'after',
      '\nUnsafe variants are deliberately broken versions of a protocol (the seeds teach each protocol\n' +
        'by its failed predecessors). `synod sim --protocol P --variant V --seeds 1..1000` finds a\n' +
        'violation in each, with a seed that replays it.',
    )
    .action(async (options: { json?: boolean }) => {
      const variants = (await loadSim()).listVariants();
      if (options.json === true) {
        io.out(`${JSON.stringify(variants)}\n`);
        return;
      }
      const protocolWidth = Math.max(8, ...variants.map((entry) => entry.protocol.length));
      const variantWidth = Math.max(7, ...variants.map((entry) => entry.variant.length));
      io.out(
        `${'PROTOCOL'.padEnd(protocolWidth)}  ${'VARIANT'.padEnd(variantWidth)}  SAFETY  DESCRIPTION\n`,
      );
      for (const entry of variants) {
        const safety = entry.unsafe ? 'unsafe' : 'safe  ';
        io.out(
          `${entry.protocol.padEnd(protocolWidth)}  ${entry.variant.padEnd(variantWidth)}  ${safety}  ${entry.description}\n`,
        );
      }
    });
}
