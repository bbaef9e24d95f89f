import { type Tour, type TourRun, tourOf } from '../../core/tour.js';
import { ScenarioRun } from './scenario-runner.js';
import type { Scenario, ScenarioStep } from './scenario-types.js';
import { REPLICATION_SCENARIOS } from './scenarios.js';

/** A step as a person reads it: the action and its arguments, without the narration. */
export function describeReplicationStep(step: ScenarioStep): string {
  const { do: action, say: _say, ...details } = step;
  const text = Object.entries(details)
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join(' ');
  return text.length > 0 ? `${action} ${text}` : action;
}

function startRun(scenario: Scenario): TourRun {
  const run = new ScenarioRun(scenario);
  return {
    get done() {
      return run.done;
    },
    next() {
      const result = run.next();
      return { ...result, title: describeReplicationStep(result.step) };
    },
  };
}

/** The seed's replication anomalies as guided tours. */
export const REPLICATION_TOURS: readonly Tour[] = REPLICATION_SCENARIOS.map((scenario) =>
  tourOf('replication', scenario, () => startRun(scenario)),
);
