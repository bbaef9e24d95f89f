import { type Tour, type TourRun, type TourStepResult, tourOf } from '../../core/tour.js';
import { valueKey } from './messages.js';
import { ScenarioRun } from './scenario-runner.js';
import type { Scenario, ScenarioStep } from './scenarios.js';
import { PAXOS_SCENARIOS } from './scenarios.js';

/** A step as a person reads it, with the scenario's node names ("deliver prepare A → X"). */
export function describePaxosStep(step: ScenarioStep, name: (id: number) => string): string {
  switch (step.do) {
    case 'propose': {
      const round = step.round === undefined ? '' : ` with round ${step.round}`;
      const to = step.to === undefined ? '' : ` to ${step.to.map(name).join(', ')}`;
      return `${name(step.node)} proposes ${valueKey(step.value)}${round}${to}`;
    }
    case 'deliver':
      return `deliver ${step.type} ${name(step.from)} → ${name(step.to)}`;
    case 'deliver-all':
      return step.type === undefined
        ? 'deliver everything in flight'
        : `deliver every ${step.type}`;
    case 'tick':
      return `${step.count} tick${step.count === 1 ? '' : 's'}${step.nodes === undefined ? '' : ` of ${step.nodes.map(name).join(', ')}`}`;
    case 'crash':
      return `${name(step.node)} crashes`;
    case 'restart':
      return `${name(step.node)} restarts`;
    case 'run':
      return `run freely (at most ${step.ticksMax} ticks)`;
  }
}

function startRun(scenario: Scenario): TourRun {
  const run = new ScenarioRun(scenario);
  return {
    get done() {
      return run.done;
    },
    next(): TourStepResult {
      const result = run.next();
      const title = describePaxosStep(result.step, (id) => run.name(id));
      if (!run.done)
        return { index: result.index, title, lines: result.lines, problems: result.problems };
      // The scenario's expected outcome is part of its last step.
      const learned = [...run.learned().entries()].map(
        ([id, value]) => `${run.name(id)}: ${value === undefined ? 'nothing' : valueKey(value)}`,
      );
      return {
        index: result.index,
        title,
        lines: [...result.lines, `learned — ${learned.join(', ')}`],
        problems: [...result.problems, ...run.checkOutcome()],
      };
    },
  };
}

/** The seeds' Paxos walk-throughs (proposers A and B, the three-server election, livelock) as tours. */
export const PAXOS_TOURS: readonly Tour[] = PAXOS_SCENARIOS.map((scenario) =>
  tourOf('paxos', scenario, () => startRun(scenario)),
);
