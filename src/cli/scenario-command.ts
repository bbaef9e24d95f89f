import type { Command } from 'commander';
import type { TourStepResult } from '../core/tour.js';
import { EXIT, type CliIo } from './io.js';
import { loadSim } from './sim-command.js';

export function registerScenarioCommand(program: Command, io: CliIo): void {
  const scenario = program
    .command('scenario')
    .description(
      'the worked examples of the docs as guided tours: list them, or play one step by step',
    );
  scenario
    .command('list')
    .description('list every guided tour')
    .option('--protocol <name>', 'only the tours of this protocol')
    .option('--json', 'print a JSON array of {name, protocol, title, description, steps}')
    .action(async (options: { protocol?: string; json?: boolean }) => {
      const { TOURS } = await loadSim();
      const tours = TOURS.filter(
        (tour) => options.protocol === undefined || tour.protocol === options.protocol,
      );
      if (options.json === true) {
        const listing = tours.map((tour) => ({
          name: tour.name,
          protocol: tour.protocol,
          title: tour.title,
          description: tour.description,
          steps: tour.stepCount,
        }));
        io.out(`${JSON.stringify(listing)}\n`);
        return;
      }
      const width = Math.max(4, ...tours.map((tour) => tour.name.length));
      for (const tour of tours)
        io.out(`${tour.name.padEnd(width)}  ${tour.protocol.padEnd(12)}  ${tour.title}\n`);
      if (tours.length === 0) io.out('no scenarios\n');
    });
  scenario
    .command('run')
    .description(
      'play a tour step by step, printing what each step does; exit 1 if an expectation fails',
    )
    .argument('<name>', 'the tour, as `synod scenario list` names it')
    .option('--json', 'print one JSON object per step')
    .action(async (name: string, options: { json?: boolean }) => {
      const { findTour } = await loadSim();
      const tour = findTour(name);
      if (options.json !== true) io.out(`${tour.title}\n${tour.description}\n\n`);
      const run = tour.start();
      let problems = 0;
      while (!run.done) {
        const step = run.next();
        problems += step.problems.length;
        io.out(options.json === true ? `${JSON.stringify(step)}\n` : formatStep(step));
      }
      if (options.json !== true) {
        io.out(
          problems === 0
            ? 'Every expectation of the tour held.\n'
            : `${problems} expectation(s) did not hold.\n`,
        );
      }
      if (problems > 0) io.setExitCode(EXIT.violation);
    });
}

function formatStep(step: TourStepResult): string {
  const lines = [`${step.index + 1}. ${step.title}`, ...step.lines.map((line) => `     ${line}`)];
  lines.push(...step.problems.map((problem) => `   ✗ ${problem}`));
  return `${lines.join('\n')}\n`;
}
