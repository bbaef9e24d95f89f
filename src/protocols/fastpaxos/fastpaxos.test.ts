import { describe, expect, it } from 'vitest';
import { ballot } from '../../core/ballot.js';
import type { NodeId } from '../../core/ids.js';
import type { AcceptedProposal } from '../paxos/messages.js';
import { paxosNetwork } from '../paxos/harness.js';
import { type FastPaxosNetwork, fastPaxosNetwork } from './harness.js';
import { FAST_BALLOT } from './node.js';
import { fastQuorumFor } from './options.js';
import { pickValue } from './pick-value.js';
import { FAST_PAXOS_SCENARIOS, FastPaxosScenarioRun } from './tours.js';

const FIVE = [0, 1, 2, 3, 4];
/** Five acceptors and two proposers (5 and 6) that are not acceptors. */
const SEVEN = [...FIVE, 5, 6];
const SPLIT = { acceptors: FIVE, proposers: [5, 6] };

/** 5's value reaches acceptors 0..2 first, 6's reaches 3 and 4 first: a 3-to-2 collision. */
function splitThreeTwo(network: FastPaxosNetwork): void {
  network.act(5, (node) => node.propose('a'));
  network.act(6, (node) => node.propose('b'));
  for (const to of [0, 1, 2]) network.deliver({ from: 5, to, type: 'propose-fast' });
  for (const to of [3, 4]) network.deliver({ from: 6, to, type: 'propose-fast' });
}
const isFast = (b: { round: number }): boolean => b.round === 1;
const vote = (value: string): AcceptedProposal => ({ ballot: FAST_BALLOT, value });

/** Deliver everything in flight as one generation (one message delay), until `done`; returns the delays. */
function delaysUntil(
  network: { inFlight: unknown[]; deliverAll(): number; pending(): unknown[] },
  deliverOne: () => void,
  done: () => boolean,
): number {
  let delays = 0;
  while (!done() && network.pending().length > 0 && delays < 20) {
    const generation = network.pending().length;
    for (let index = 0; index < generation; index++) deliverOne();
    delays++;
  }
  return delays;
}

describe('Fast Paxos: quorums', () => {
  it('a fast quorum is ⌈3n/4⌉ (n=5 ⇒ 4); the classic-quorum variant uses a majority (3)', () => {
    expect(fastQuorumFor('default', 5)).toBe(4);
    expect(fastQuorumFor('classic-quorum-fast-round', 5)).toBe(3);
    expect(fastQuorumFor('default', 4)).toBe(3);
  });
});

describe('Fast Paxos: the value rule after a collision (seed 002, 3 votes against 2)', () => {
  // C reads a majority: A3 voted x, A4 and A5 voted y; A1 and A2 (who voted x) are unseen.
  const reports = new Map<NodeId, AcceptedProposal | null>([
    [2, vote('x')],
    [3, vote('y')],
    [4, vote('y')],
  ]);

  it('with ⌈3n/4⌉ a reader of a majority can tell: only y may have been chosen', () => {
    const pick = pickValue(reports, 5, 4, isFast);
    expect(pick.mayHaveBeenChosen).toEqual(['y']);
    expect(pick.value).toBe('y');
  });

  it('with a classic-sized fast quorum (3 of 5) the reader cannot tell: x and y may both have been chosen', () => {
    const pick = pickValue(reports, 5, 3, isFast);
    expect(pick.mayHaveBeenChosen).toEqual(['y', 'x']);
  });

  it('a classic ballot’s value is the only candidate, however few report it', () => {
    const classic = new Map<NodeId, AcceptedProposal | null>([
      [0, { ballot: ballot(3, 7), value: 'z' }],
      [1, vote('x')],
      [2, null],
    ]);
    expect(pickValue(classic, 5, 4, isFast).value).toBe('z');
  });

  it('no vote reported: the coordinator is free to propose anything', () => {
    expect(
      pickValue(
        new Map([
          [0, null],
          [1, null],
          [2, null],
        ]),
        5,
        4,
        isFast,
      ).value,
    ).toBeUndefined();
  });
});

describe('Fast Paxos on the test network', () => {
  it('an acceptor votes for the first value it gets in a fast round and ignores the next', () => {
    const { network } = fastPaxosNetwork(FIVE, 'default', {});
    network.act(1, (node) => node.propose('a'));
    network.act(2, (node) => node.propose('b'));
    network.deliver({ from: 1, to: 0, type: 'propose-fast' });
    network.deliver({ from: 2, to: 0, type: 'propose-fast' });
    expect(network.node(0).accepted()?.value).toBe('a');
  });

  it('without conflict a value is chosen in 2 message delays from the proposer; classic Paxos takes 4', () => {
    const { network, violations } = fastPaxosNetwork(FIVE, 'default', {});
    network.act(1, (node) => node.propose('a'));
    const fast = delaysUntil(
      network,
      () => network.deliver({}),
      () => FIVE.every((id) => network.node(id).learnedValue === 'a'),
    );
    expect(fast).toBe(2);
    const classic = paxosNetwork({ ids: FIVE });
    classic.act(1, (node) => node.propose('a'));
    const slow = delaysUntil(
      classic,
      () => classic.deliver({}),
      () => classic.node(1).learned() === 'a',
    );
    expect(slow).toBe(4);
    expect(violations).toEqual([]);
  });

  it('coordinated recovery: after a collision the coordinator reads the fast votes as phase 1 and one value is chosen, ', () => {
    const { network, checker, violations } = fastPaxosNetwork(SEVEN, 'default', SPLIT);
    splitThreeTwo(network);
    network.deliverAll();
    expect(checker.chosenValues()).toHaveLength(1);
    expect(FIVE.every((id) => network.node(id).learnedValue !== undefined)).toBe(true);
    expect(violations).toEqual([]);
  });

  it('uncoordinated recovery: every acceptor picks by the same rule and votes again in a fast round', () => {
    const { network, checker, violations } = fastPaxosNetwork(SEVEN, 'default', {
      ...SPLIT,
      recovery: 'uncoordinated',
    });
    splitThreeTwo(network);
    network.deliverAll();
    expect(checker.chosenValues()).toHaveLength(1);
    expect(violations).toEqual([]);
  });

  it('a lost fast round is finished by the coordinator’s classic round after its timeout', () => {
    const { network, checker } = fastPaxosNetwork(FIVE, 'default', { recoveryTimeoutTicks: 3 });
    network.act(1, (node) => node.propose('a'));
    network.deliver({ from: 1, to: 0, type: 'propose-fast' }); // the coordinator hears one vote
    network.drop({ type: 'propose-fast' }); // the rest are lost
    network.deliverAll();
    for (let tick = 0; tick < 4; tick++) network.tick();
    network.deliverAll();
    expect(checker.chosenValues()).toEqual(['a']);
  });

  it('a crashed and restarted acceptor keeps its fast vote (persisted before the learn left)', () => {
    const { network } = fastPaxosNetwork(FIVE, 'default', {});
    network.act(1, (node) => node.propose('a'));
    network.deliver({ from: 1, to: 3, type: 'propose-fast' });
    network.crash(3);
    network.restart(3);
    expect(network.node(3).accepted()?.value).toBe('a');
  });
});

describe('seed 002’s example as tours', () => {
  it.each(FAST_PAXOS_SCENARIOS.map((scenario) => [scenario.name, scenario] as const))(
    '%s',
    (_name, scenario) => {
      const run = new FastPaxosScenarioRun(scenario);
      const problems: string[] = [];
      while (!run.done) problems.push(...run.next().problems);
      expect(problems).toEqual([]);
      expect(run.chosen().sort()).toEqual([...scenario.chosen].sort());
      expect(run.violations.length > 0).toBe(scenario.chosen.length > 1);
    },
  );
});
