import { describe, expect, it } from 'vitest';
import { NEMESIS_NAMES, type SimConfig, resolveSimConfig, sweep } from '../../sim/index.js';

/** Multi-Paxos under every nemesis, with KV clients whose history is checked for linearizability. */
function config(variant: string, extra: Record<string, unknown> = {}): SimConfig {
  return resolveSimConfig({
    protocol: 'multipaxos',
    variant,
    durationUs: 2_000_000,
    nemesis: { generators: [...NEMESIS_NAMES], startUs: 100_000, quietUs: 400_000 },
    ...extra,
  });
}

describe('Multi-Paxos in the simulator (registered as "multipaxos")', () => {
  it('default: linearizable, and no slot ever chooses two values, over 100 seeds with every nemesis on', () => {
    const result = sweep(config('default'), { from: 1, to: 100 });
    expect(result.firstViolation?.violation).toBeUndefined();
    expect(result.passed + result.unknownSeeds.length).toBe(100);
    expect(result.unknownSeeds.length).toBeLessThan(10);
  });

  it.each(['skip-phase1-on-takeover', 'noop-without-quorum'])(
    '%s: the simulator finds a slot with two chosen values somewhere in seeds 1..300',
    (variant) => {
      const result = sweep(config(variant), { from: 1, to: 300 });
      expect(result.firstViolation?.violation?.kind).toBe('invariant');
    },
  );
});
