// Raft in the deterministic simulator: every run checks Raft's invariants after each event and the
// KV history for linearizability at the end; each unsafe variant must be caught somewhere in a
// seed range (never a hard-coded seed), and the liveness variant's term inflation is measured.
import { describe, expect, it } from 'vitest';
import type { SimConfig, SimConfigInput } from '../../sim/index.js';
import { Simulation, resolveSimConfig, runSimulation } from '../../sim/index.js';

function raftConfig(input: Omit<SimConfigInput, 'protocol'>): SimConfig {
  return resolveSimConfig({ ...input, protocol: 'raft' });
}

/**
 * Crashes, restarts, partitions (also bridged and one-way), an isolated leader, pauses and message
 * storms (loss, duplication, reordering), all run long.
 */
const NEMESIS = {
  generators: [
    'kill',
    'restart',
    'partition',
    'isolate-leader',
    'pause',
    'bridge',
    'one-way',
    'storm',
  ],
  startUs: 100_000,
  quietUs: 300_000,
  intervalUsMin: 50_000,
  intervalUsMax: 300_000,
  faultUsMin: 50_000,
  faultUsMax: 500_000,
} as const;

/**
 * Where the unsafe variants break quickly: a slow network (2–30 ms) against short timeouts
 * (50–100 ms elections) makes elections overlap, and one entry per message keeps old-term entries
 * exposed for several round trips.
 */
const HOSTILE: Omit<SimConfigInput, 'protocol'> = {
  nodes: 3,
  durationUs: 5_000_000,
  network: { latency: { kind: 'uniform', minUs: 2_000, maxUs: 30_000 } },
  nemesis: {
    generators: ['kill', 'restart', 'partition', 'isolate-leader'],
    intervalUsMin: 20_000,
    intervalUsMax: 200_000,
    faultUsMin: 20_000,
    faultUsMax: 300_000,
  },
  linearizability: { enabled: false },
  options: { electionTicks: 5, heartbeatTicks: 1, maxEntriesPerMessage: 1, maxInflightMessages: 1 },
};

function firstFailingSeed(
  input: Omit<SimConfigInput, 'protocol'>,
  seeds: number,
): number | undefined {
  for (let seed = 1; seed <= seeds; seed++) {
    const result = runSimulation(raftConfig({ ...input, seed }));
    if (!result.ok) return seed;
  }
  return undefined;
}

describe('Raft in the simulator', () => {
  it('keeps its invariants and a linearizable KV over 150 seeds with nemeses on', () => {
    const verdicts = new Map<string, number[]>();
    for (let seed = 1; seed <= 150; seed++) {
      const result = runSimulation(
        raftConfig({
          seed,
          durationUs: 2_000_000,
          clients: { operationsMax: 200 },
          nemesis: NEMESIS,
          options: { snapshotEveryEntries: 20 },
        }),
      );
      const verdict = result.ok
        ? (result.linearizability?.verdict ?? 'unchecked')
        : `violation: ${result.violation?.message}`;
      verdicts.set(verdict, [...(verdicts.get(verdict) ?? []), seed]);
    }
    expect([...verdicts.keys()]).toEqual(['linearizable']);
  }, 60_000);

  it('lease reads stay linearizable when tick rates do not drift (50 seeds)', () => {
    const leased = {
      durationUs: 2_000_000,
      clients: { operationsMax: 200 },
      nemesis: NEMESIS,
      options: { readMode: 'lease' },
    };
    expect(firstFailingSeed(leased, 50)).toBeUndefined();
  }, 60_000);

  it('the safe default also survives the hostile setting that breaks the unsafe variants', () => {
    const checked = {
      ...HOSTILE,
      clients: { operationsMax: 300 },
      linearizability: { enabled: true },
    };
    expect(firstFailingSeed(checked, 30)).toBeUndefined();
  }, 60_000);

  for (const variant of ['commit-old-term', 'vote-without-log-check', 'vote-not-persisted']) {
    it(`finds a violation in the unsafe variant ${variant} within 300 seeds`, () => {
      const seed = firstFailingSeed({ ...HOSTILE, variant }, 300);
      expect(seed).toBeDefined();
    }, 60_000);
  }

  it('no-prevote-disruption: term inflation from rejoining nodes, measured against Pre-Vote', () => {
    const meanFinalTerm = (variant: string): number => {
      let total = 0;
      const seeds = 20;
      for (let seed = 1; seed <= seeds; seed++) {
        const simulation = new Simulation(
          raftConfig({
            seed,
            variant,
            nemesis: { generators: ['partition', 'one-way'] },
            linearizability: { enabled: false },
          }),
        );
        expect(simulation.run().ok).toBe(true);
        const terms = simulation.nodes().map((node) => Number(node.inspection?.epoch?.value ?? 0));
        total += Math.max(...terms);
      }
      return total / seeds;
    };
    const withPreVote = meanFinalTerm('default');
    const without = meanFinalTerm('no-prevote-disruption');
    expect(without).toBeGreaterThan(2 * withPreVote);
  }, 60_000);
});
