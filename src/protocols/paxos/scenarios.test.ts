import { describe, expect, it } from 'vitest';
import { PAXOS_SCENARIOS, findScenario } from './scenarios.js';
import { runScenario } from './scenario-runner.js';

function run(name: string) {
  const scenario = findScenario(name);
  if (scenario === undefined) throw new Error(`no scenario ${name}`);
  return runScenario(scenario);
}

describe('worked examples (seeds 000, 003, 002/004), played step by step', () => {
  it.each(PAXOS_SCENARIOS.map((scenario) => scenario.name))(
    '%s: every expected message and the outcome hold',
    (name) => {
      const { problems, transcript } = run(name);
      expect(problems, transcript.join('\n')).toEqual([]);
    },
  );
});
