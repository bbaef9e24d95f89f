import { describe, expect, it } from 'vitest';
import { NEMESIS_NAMES, resolveSimConfig, sweep } from '../../sim/index.js';

/**
 * Issue 7: the KV workload the replication strategies run (every nemesis on, 3 s per run) passes on
 * Paxos-based replication and on Raft. `bench/replication-bench.ts` runs the longer sweep.
 */
describe('the replication workload on paxos-store and raft', () => {
  it.each(['paxos-store', 'raft'])(
    '%s: linearizable, every invariant holding, over seeds 1..5',
    (protocol) => {
      const config = resolveSimConfig({
        protocol,
        durationUs: 3_000_000,
        nemesis: { generators: [...NEMESIS_NAMES] },
      });
      const result = sweep(config, { from: 1, to: 5 });
      expect(result.firstViolation).toBeUndefined();
      expect(result.passed + result.unknownSeeds.length).toBe(5);
    },
  );
});
