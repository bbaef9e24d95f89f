import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../core/ids.js';
import { paxosNetwork } from './harness.js';
import type { LearnerScheme } from './learner.js';

/** Acceptors 0..2, proposer 3, learners 4..7 (roles kept apart so the counts are clean). */
const ACCEPTORS = [0, 1, 2];
const PROPOSER = 3;
const LEARNERS = [4, 5, 6, 7];

function cluster(learnerScheme: LearnerScheme, relayLearners?: NodeId[]) {
  return paxosNetwork({
    ids: [...ACCEPTORS, PROPOSER, ...LEARNERS],
    options: {
      acceptors: ACCEPTORS,
      proposers: [PROPOSER],
      learners: LEARNERS,
      learnerScheme,
      ...(relayLearners === undefined ? {} : { relayLearners }),
    },
  });
}

function chooseAndSpread(
  learnerScheme: LearnerScheme,
  relayLearners?: NodeId[],
  crashBeforeLearning?: NodeId,
) {
  const network = cluster(learnerScheme, relayLearners);
  network.act(PROPOSER, (node) => node.propose('x'));
  network.deliverAll({ type: 'prepare' });
  network.deliverAll({ type: 'promise' });
  network.deliverAll({ type: 'accept' });
  if (crashBeforeLearning !== undefined) network.crash(crashBeforeLearning);
  network.deliverAll();
  const learned = LEARNERS.filter((id) => network.isUp(id) && network.node(id).learned() === 'x');
  const counts = network.messageCounts();
  return { learned, learn: counts.learn ?? 0, chosen: counts.chosen ?? 0 };
}

describe('learners, three ways (seed 000)', () => {
  it('all: every acceptor tells every learner: acceptors × learners messages', () => {
    expect(chooseAndSpread('all')).toEqual({ learned: LEARNERS, learn: 3 * 4, chosen: 0 });
  });

  it('distinguished: acceptors tell one learner, which relays: acceptors + learners − 1 messages', () => {
    expect(chooseAndSpread('distinguished')).toEqual({ learned: LEARNERS, learn: 3, chosen: 3 });
  });

  it('set: acceptors tell a set of relays, each relays to the rest: acceptors × relays + relays × others', () => {
    expect(chooseAndSpread('set', [4, 5])).toEqual({
      learned: LEARNERS,
      learn: 3 * 2,
      chosen: 2 * 2,
    });
  });

  it('when the distinguished learner crashes, no other learner learns the value', () => {
    expect(chooseAndSpread('distinguished', undefined, 4)).toEqual({
      learned: [],
      learn: 3,
      chosen: 0,
    });
  });

  it('a set of relays survives the crash of one of them', () => {
    expect(chooseAndSpread('set', [4, 5], 4).learned).toEqual([5, 6, 7]);
  });

  it('a learner counts accepts per ballot: two ballots’ minorities are not a majority', () => {
    const network = cluster('all');
    const learner = network.node(4);
    learner.step(0, { type: 'learn', instance: 0, ballot: { round: 1, node: 3 }, value: 'x' });
    learner.step(1, { type: 'learn', instance: 0, ballot: { round: 2, node: 3 }, value: 'x' });
    expect(learner.learned()).toBeUndefined();
    learner.step(2, { type: 'learn', instance: 0, ballot: { round: 2, node: 3 }, value: 'x' });
    expect(learner.learned()).toBe('x');
  });
});
