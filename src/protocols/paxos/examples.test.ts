import { describe, expect, it } from 'vitest';
import { ballot } from '../../core/ballot.js';
import { runScenario } from './scenario-runner.js';
import { type Scenario, findScenario } from './scenarios.js';

function scenario(name: string): Scenario {
  const found = findScenario(name);
  if (found === undefined) throw new Error(`no scenario ${name}`);
  return found;
}

describe('seed 000: acceptors X, Y, Z; proposers A [n=2, v=8] and B [n=4, v=5]', () => {
  it('a prepare carries only a number, so under the walk-through’s schedule Paxos chooses [n=4, v=5], not [n=4, v=8]', () => {
    const { run, problems } = runScenario(scenario('prepare-carries-no-value'));
    expect(problems).toEqual([]);
    for (const id of [0, 1, 2])
      expect(run.network.node(id).acceptor?.state(0)).toEqual({
        lastRnd: ballot(4, 4),
        accepted: { ballot: ballot(4, 4), value: 5 },
      });
    expect([...run.learned().values()]).toEqual([5, 5, 5, 5, 5]);
    expect(run.network.node(3).proposer?.phase).toBe('done'); // A learned that 5 won
  });

  it('when A’s accept reaches X before B’s prepare, X reports (vrnd=2, v=8) and B must propose 8', () => {
    const { run, problems } = runScenario(scenario('value-carried-by-promise'));
    expect(problems).toEqual([]);
    expect(run.network.node(4).proposer?.phase2Value).toBe(8);
    expect([...run.learned().values()]).toEqual([8, 8, 8, 8, 8]);
  });
});

describe('seed 003: three servers elect a leader with numbers 2, 1, 3, then 4', () => {
  it('every intermediate promise and rejection happens as in the example, and (4, server2) is chosen', () => {
    const { run, problems, transcript } = runScenario(scenario('leader-election'));
    expect(problems, transcript.join('\n')).toEqual([]);
    // Acceptor1 accepted (2, server1) alone; Acceptor2 and Acceptor3 accepted (4, server2).
    expect(run.network.node(3).acceptor?.state(0).accepted).toEqual({
      ballot: ballot(2, 0),
      value: 'server1',
    });
    for (const id of [4, 5])
      expect(run.network.node(id).acceptor?.state(0)).toEqual({
        lastRnd: ballot(4, 1),
        accepted: { ballot: ballot(4, 1), value: 'server2' },
      });
    expect([...run.learned().values()]).toEqual(['server2', 'server2', 'server2']);
    expect(run.network.node(1).proposer?.chosenValue).toBe('server2');
    expect(run.violations).toEqual([]);
  });
});

describe('seeds 002 and 004: livelock', () => {
  it('two proposers that retry at once can preempt each other forever: every prepare succeeds, every accept fails', () => {
    const { run, problems } = runScenario(scenario('livelock'));
    expect(problems).toEqual([]);
    expect([...run.learned().values()].every((value) => value === undefined)).toBe(true);
    expect(run.network.messageCounts()['accept-rejected']).toBe(3 * 8);
    expect(run.network.node(3).proposer?.failures).toBe(4);
  });

  it('randomized binary exponential backoff ends the duel and one value is chosen', () => {
    const { run, problems } = runScenario(scenario('livelock-backoff'));
    expect(problems).toEqual([]);
    expect(new Set(run.learned().values()).size).toBe(1);
  });
});
