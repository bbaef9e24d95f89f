import { describe, expect, it } from 'vitest';
import { runScenario } from './scenario-runner.js';
import { REPLICATION_SCENARIOS } from './scenarios.js';

describe('seed 002 failures replay as scenarios', () => {
  it.each(REPLICATION_SCENARIOS.map((scenario) => [scenario.name, scenario] as const))(
    '%s holds every expectation',
    (_name, scenario) => {
      const { problems } = runScenario(scenario);
      expect(problems).toEqual([]);
    },
  );

  it('scenario names are unique', () => {
    const names = REPLICATION_SCENARIOS.map((scenario) => scenario.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
