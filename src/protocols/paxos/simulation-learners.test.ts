import { describe, expect, it } from 'vitest';
import { Simulation, resolveSimConfig } from '../../sim/index.js';
import type { PaxosNode } from './node.js';

/** Runs paxos with `options` and no nemesis except `schedule`; returns each node's learned value and when each learned. */
function run(seed: number, options: Record<string, unknown>, schedule: unknown[] = [], nodes = 3) {
  const learnedAtUs = new Map<number, number>();
  const sim = new Simulation(
    resolveSimConfig({
      protocol: 'paxos',
      seed,
      nodes,
      durationUs: 2_000_000,
      options: { reproposeEveryTicks: 0, ...options },
      nemesis: { generators: [], schedule },
    }),
    {
      trace: (line: string) => {
        const event = JSON.parse(line) as { t: number; type: string; node?: number; kind?: string };
        if (event.type === 'note' && event.kind === 'learned' && event.node !== undefined)
          learnedAtUs.set(event.node, event.t);
      },
    },
  );
  const result = sim.run();
  const learned = sim
    .nodes()
    .map((node) => (node.inspection?.state as { learned?: unknown } | undefined)?.learned ?? null);
  return { result, learned, learnedAtUs };
}

describe('learner schemes in the simulator', () => {
  const crashRelayAtStart = [{ atUs: 0, action: { type: 'crash', nodes: [0] } }];

  it('distinguished learner (node 0) crashed: a value is chosen, yet no other learner ever learns it', () => {
    const { result, learned } = run(1, { learnerScheme: 'distinguished' }, crashRelayAtStart);
    expect(result.ok).toBe(true);
    expect(learned).toEqual([null, null, null]); // node 0 is down; 1 and 2 were only to hear from it
  });

  it('the same crash with every acceptor telling every learner: the live learners learn', () => {
    const { learned } = run(1, { learnerScheme: 'all' }, crashRelayAtStart);
    expect(learned[0]).toBeNull();
    expect(learned[1]).not.toBeNull();
    expect(learned[2]).toEqual(learned[1]);
  });
});

/** Virtual time until every node learned, stepping the simulation; undefined if not within the run. */
function timeToLearnUs(seed: number, backoff: string, nodes: number): number | undefined {
  const sim = new Simulation(
    resolveSimConfig({
      protocol: 'paxos',
      seed,
      nodes,
      durationUs: 2_000_000,
      // Ticks shorter than message latency (0.2..2 ms): a proposer that retries "at once" does so
      // before its rival's accepts land, which is where livelock lives.
      tickIntervalUs: 500,
      options: {
        reproposeEveryTicks: 0,
        backoff,
        proposeDelayTicksMax: 1,
        phaseTimeoutTicks: 20,
        backoffTicksBase: 2,
        backoffTicksMax: 256,
      },
      nemesis: { generators: [] },
    }),
  );
  const ids = Array.from({ length: nodes }, (_, id) => id);
  while (sim.step())
    if (ids.every((id) => (sim.node(id) as PaxosNode | undefined)?.learned() !== undefined))
      return sim.nowUs;
  return undefined;
}

describe('time to choose under contention in the simulator, with and without backoff', () => {
  it('five proposers starting together: randomized exponential backoff cuts the time until every node learned (200 seeds)', () => {
    const stats: Record<string, { meanMs: number; p99Ms: number; unfinished: number }> = {};
    for (const backoff of ['none', 'exponential']) {
      const timesMs: number[] = [];
      let unfinished = 0;
      for (let seed = 1; seed <= 200; seed++) {
        const us = timeToLearnUs(seed, backoff, 5);
        if (us === undefined) unfinished++;
        else timesMs.push(us / 1000);
      }
      timesMs.sort((a, b) => a - b);
      stats[backoff] = {
        meanMs: Math.round((10 * timesMs.reduce((sum, t) => sum + t, 0)) / timesMs.length) / 10,
        p99Ms: Math.round(10 * (timesMs[Math.floor(0.99 * timesMs.length)] ?? 0)) / 10,
        unfinished,
      };
    }
    console.log('time until every node learned (ms), 5 nodes:', JSON.stringify(stats));
    expect(stats.exponential?.unfinished).toBe(0);
    expect(stats.exponential?.meanMs).toBeLessThan(stats.none?.meanMs as number);
    expect(stats.exponential?.p99Ms).toBeLessThan(stats.none?.p99Ms as number);
  });
});
