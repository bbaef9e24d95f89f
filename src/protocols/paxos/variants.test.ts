import { describe, expect, it } from 'vitest';
import { PAXOS_VARIANTS } from './options.js';
import { ScenarioRun } from './scenario-runner.js';
import { PAXOS_SCENARIOS, type Scenario } from './scenarios.js';

function play(scenario: Scenario): ScenarioRun {
  const run = new ScenarioRun(scenario);
  while (!run.done) run.next();
  return run;
}

const unsafe = PAXOS_VARIANTS.filter((variant) => variant.unsafe).map((variant) => variant.name);

describe('unsafe variants', () => {
  it.each(unsafe)(
    '%s: its counterexample schedule makes two different values chosen',
    (variant) => {
      const scenario = PAXOS_SCENARIOS.find((candidate) => candidate.name === `unsafe-${variant}`);
      expect(scenario?.variant).toBe(variant);
      const run = play(scenario as Scenario);
      expect(
        run.violations.some((violation) =>
          violation.startsWith('agreement: instance 0: two values chosen'),
        ),
      ).toBe(true);
    },
  );

  it.each(unsafe)(
    'the safe protocol under the %s counterexample’s schedule chooses at most one value',
    (variant) => {
      const scenario = PAXOS_SCENARIOS.find(
        (candidate) => candidate.name === `unsafe-${variant}`,
      ) as Scenario;
      const run = play({ ...scenario, variant: 'default' });
      expect(run.violations).toEqual([]);
      const learned = new Set([...run.learned().values()].filter((value) => value !== undefined));
      expect(learned.size).toBeLessThanOrEqual(1);
    },
  );

  it('under the safe protocol, B adopts a after the crash, because X and Y synced [1, a] before answering', () => {
    const scenario = PAXOS_SCENARIOS.find(
      (candidate) => candidate.name === 'unsafe-reply-before-persist',
    ) as Scenario;
    const run = play({ ...scenario, variant: 'default' });
    expect(run.network.node(1).acceptor?.state(0).accepted?.value).toBe('a');
    expect(run.network.node(4).proposer?.phase2Value).toBe('a');
  });
});
