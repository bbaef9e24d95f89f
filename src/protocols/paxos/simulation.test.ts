import { describe, expect, it } from 'vitest';
import { NEMESIS_NAMES, type SimConfig, resolveSimConfig, sweep } from '../../sim/index.js';

/**
 * Paxos under every nemesis the simulator has: partitions, bridges, one-way links, crashes that
 * lose the page cache, pauses, clock skew, storms of loss, duplication and reordering.
 */
function config(protocol: string, variant: string, extra: Record<string, unknown> = {}): SimConfig {
  return resolveSimConfig({
    protocol,
    variant,
    durationUs: 3_000_000,
    nemesis: { generators: [...NEMESIS_NAMES], startUs: 50_000 },
    ...extra,
  });
}

describe('single-decree Paxos in the simulator (registered as "paxos")', () => {
  it.each(['reply-before-persist', 'ignore-accepted', 'minority-quorum'])(
    '%s: the simulator finds two values chosen somewhere in seeds 1..1000',
    (variant) => {
      const result = sweep(config('paxos', variant), { from: 1, to: 1000 });
      expect(result.firstViolation?.violation?.invariant).toBe('agreement');
    },
  );

  it('default: no violation over 300 seeds with every nemesis on', () => {
    const result = sweep(config('paxos', 'default'), { from: 1, to: 300 });
    expect(result.firstViolation?.violation).toBeUndefined();
    expect(result.passed).toBe(300);
  });

  it('timestamp ballots (round = local clock in ms): skewed clocks cost liveness, never safety (200 seeds)', () => {
    const result = sweep(config('paxos', 'default', { options: { ballotScheme: 'timestamp' } }), {
      from: 1,
      to: 200,
    });
    expect(result.firstViolation?.violation).toBeUndefined();
  });
});

describe('the versioned store in the simulator (registered as "paxos-store"), with KV clients', () => {
  it('default: every history is linearizable and no instance chooses two commands, over 60 seeds with every nemesis on', () => {
    const result = sweep(config('paxos-store', 'default'), { from: 1, to: 60 });
    expect(result.firstViolation?.violation).toBeUndefined();
    expect(result.passed + result.unknownSeeds.length).toBe(60);
  });

  it.each(['reply-before-persist', 'ignore-accepted', 'minority-quorum'])(
    '%s: the simulator finds a violation somewhere in seeds 1..1000',
    (variant) => {
      const result = sweep(config('paxos-store', variant), { from: 1, to: 1000 });
      expect(result.firstViolation?.violation).toBeDefined();
    },
  );
});
