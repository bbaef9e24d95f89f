import { describe, expect, it } from 'vitest';
import { resolveSimConfig, runSimulation } from '../../sim/index.js';
import type { TraceEvent } from '../../sim/trace.js';
import { fastPaxosNetwork } from './harness.js';

/** The figures in README.md. They print; the assertions are loose. */

const FIVE = [0, 1, 2, 3, 4];

/** Message delays until every acceptor learned, delivering everything in flight as one generation. */
function delaysAfterCollision(recovery: string): number {
  const { network } = fastPaxosNetwork([...FIVE, 5, 6], 'default', {
    acceptors: FIVE,
    proposers: [5, 6],
    recovery,
  });
  network.act(5, (node) => node.propose('a'));
  network.act(6, (node) => node.propose('b'));
  // First delay: the proposals arrive, split 3 to 2.
  for (const to of [0, 1, 2]) network.deliver({ from: 5, to, type: 'propose-fast' });
  for (const to of [3, 4]) network.deliver({ from: 6, to, type: 'propose-fast' });
  network.drop({ type: 'propose-fast' }); // the late ones change nothing
  let delays = 1;
  while (FIVE.some((id) => network.node(id).learnedValue === undefined) && delays < 20) {
    const generation = network.pending().length;
    for (let index = 0; index < generation; index++) network.deliver({});
    delays++;
  }
  return delays;
}

/** With `proposers` proposing at once: did they collide, and how long from the first proposal until a node learned? */
function run(
  proposers: number,
  seed: number,
): { collided: boolean; learnedUs: number | undefined } {
  let collided = false;
  let learnedUs: number | undefined;
  let proposedUs: number | undefined;
  const onEvent = (event: TraceEvent): void => {
    if (event.type !== 'note') return;
    if (event.kind === 'pick') collided = true;
    if (event.kind === 'propose' && proposedUs === undefined) proposedUs = event.t;
    if (event.kind === 'learned' && learnedUs === undefined) learnedUs = event.t;
  };
  runSimulation(
    resolveSimConfig({
      protocol: 'fastpaxos',
      seed,
      durationUs: 300_000,
      options: { proposers: FIVE.slice(0, proposers), proposeDelayTicksMax: 1 },
    }),
    { onEvent },
  );
  return {
    collided,
    learnedUs:
      learnedUs === undefined || proposedUs === undefined ? undefined : learnedUs - proposedUs,
  };
}

describe('Fast Paxos figures (printed for README.md)', () => {
  it('message delays: a collision costs 2 more with coordinated recovery, 1 more with uncoordinated', () => {
    const coordinated = delaysAfterCollision('coordinated');
    const uncoordinated = delaysAfterCollision('uncoordinated');
    console.log(
      `after a collision: coordinated ${coordinated} delays, uncoordinated ${uncoordinated}`,
    );
    expect(coordinated).toBe(4);
    expect(uncoordinated).toBe(3);
  });

  it('collision rate and time to choose as concurrent proposers grow (5 acceptors, 300 seeds each)', () => {
    for (let proposers = 1; proposers <= 5; proposers++) {
      let collisions = 0;
      const times: number[] = [];
      for (let seed = 1; seed <= 300; seed++) {
        const result = run(proposers, seed);
        if (result.collided) collisions++;
        if (result.learnedUs !== undefined) times.push(result.learnedUs);
      }
      times.sort((a, b) => a - b);
      const median = (times[Math.floor(times.length / 2)] ?? 0) / 1000;
      console.log(
        `${proposers} proposer(s): collision in ${((100 * collisions) / 300).toFixed(0)}% of runs, first value learned, after the first proposal, at median ${median.toFixed(2)} ms`,
      );
      if (proposers === 1) expect(collisions).toBe(0);
    }
  });
});
