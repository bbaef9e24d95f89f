import { describe, expect, it } from 'vitest';
import { createRng } from '../../core/rng.js';
import { paxosNetwork } from './harness.js';

describe('leader election by Paxos (seed 003): every node proposes itself, the chosen value is the leader', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'seed %i: five candidates racing under random delays agree on one leader',
    (seed) => {
      const ids = [0, 1, 2, 3, 4];
      const network = paxosNetwork({
        ids,
        seed,
        options: { proposeSelf: true, autoPropose: true, proposeDelayTicksMax: 3 },
      });
      network.runRandomly(createRng(seed), 2_000, 0.6, () =>
        ids.every((id) => network.node(id).learned() !== undefined),
      );
      const leaders = new Set(ids.map((id) => network.node(id).inspect().leader));
      expect(leaders.size).toBe(1);
      const [leader] = [...leaders];
      expect(ids).toContain(leader);
    },
  );

  it('the leader stays elected when a minority crashes: a restarted node learns the same leader again', () => {
    const ids = [0, 1, 2];
    const network = paxosNetwork({
      ids,
      seed: 9,
      options: { proposeSelf: true, autoPropose: true },
    });
    network.runRandomly(createRng(9), 500, 0.6, () =>
      ids.every((id) => network.node(id).learned() !== undefined),
    );
    const leader = network.node(0).inspect().leader;
    network.crash(2);
    network.restart(2);
    expect(network.node(2).inspect().leader).toBe(leader); // it persisted what it learned
  });
});
