import { describe, expect, it } from 'vitest';
import { ScenarioRun, runScenario } from './scenario-runner.js';
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

describe('the scenario runner', () => {
  it('reports an expectation that does not hold', () => {
    const { problems } = runScenario({
      name: 'wrong',
      title: 'a wrong expectation',
      description: 'async acknowledges at once; expecting no answer must fail',
      variant: 'async',
      nodes: 3,
      steps: [
        { do: 'request', node: 0, id: 1, op: { f: 'put', key: 'x', value: '1' } },
        { do: 'expect-response', id: 1, outcome: 'none' },
        { do: 'expect-violation', invariant: 'acknowledged-writes-survive' },
      ],
    });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/step 2 .*request 1 was answered/);
  });

  it('replays a tour line for line', () => {
    const tour = (scenario: (typeof REPLICATION_SCENARIOS)[number]) =>
      new ScenarioRun(scenario).runToEnd().flatMap((result) => result.lines);
    for (const scenario of REPLICATION_SCENARIOS) expect(tour(scenario)).toEqual(tour(scenario));
  });
});
