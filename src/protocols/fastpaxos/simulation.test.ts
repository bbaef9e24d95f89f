import { describe, expect, it } from 'vitest';
import { NEMESIS_NAMES, type SimConfig, resolveSimConfig, sweep } from '../../sim/index.js';

/** Five nodes all propose in the fast round within a few ticks, so proposals collide often. */
function config(variant: string, options: Record<string, unknown> = {}): SimConfig {
  return resolveSimConfig({
    protocol: 'fastpaxos',
    variant,
    options,
    durationUs: 500_000,
    nemesis: {
      generators: [...NEMESIS_NAMES],
      startUs: 5_000,
      quietUs: 100_000,
      intervalUsMin: 5_000,
      intervalUsMax: 50_000,
      faultUsMin: 5_000,
      faultUsMax: 100_000,
    },
  });
}

describe('Fast Paxos in the simulator (registered as "fastpaxos")', () => {
  it.each(['coordinated', 'uncoordinated'])(
    'default, %s recovery: one value chosen, over 500 seeds with every nemesis on',
    (recovery) => {
      const result = sweep(config('default', { recovery }), { from: 1, to: 500 });
      expect(result.firstViolation?.violation).toBeUndefined();
    },
  );

  it('classic-quorum-fast-round: two values chosen, at a replayable seed in 1..100 (seed 1: v3 by a fast majority, v2 by recovery)', () => {
    const result = sweep(config('classic-quorum-fast-round'), { from: 1, to: 100 });
    expect(result.firstViolation?.violation?.invariant).toBe('agreement');
  });
});
