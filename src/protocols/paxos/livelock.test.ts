import { describe, expect, it } from 'vitest';
import { createRng } from '../../core/rng.js';
import { paxosNetwork } from './harness.js';

/**
 * Time to choose under contention: proposers start together and race; messages take a random
 * number of ticks (each in-flight message is delivered with probability `deliverProbability` per
 * tick). Returns the ticks until every learner learned, or `ticksMax` if none did in time.
 */
function timeToChooseTicks(
  seed: number,
  backoff: 'none' | 'exponential',
  proposers: number,
  ticksMax: number,
  deliverProbability: number,
): number {
  const acceptors = [0, 1, 2];
  const proposerIds = Array.from({ length: proposers }, (_, index) => 3 + index);
  const network = paxosNetwork({
    ids: [...acceptors, ...proposerIds],
    seed,
    options: {
      acceptors,
      proposers: proposerIds,
      autoPropose: true,
      proposeDelayTicksMax: 1,
      backoff,
      backoffTicksBase: 2,
      backoffTicksMax: 64,
      phaseTimeoutTicks: 30,
    },
  });
  const learners = [...acceptors, ...proposerIds];
  return network.runRandomly(createRng(seed).split('delays'), ticksMax, deliverProbability, () =>
    learners.every((id) => network.node(id).learned() !== undefined),
  );
}

function summarize(samples: number[]): { mean: number; median: number; p99: number; max: number } {
  const sorted = samples.slice().sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return { mean: Math.round(mean * 10) / 10, median: at(0.5), p99: at(0.99), max: at(1) };
}

describe('livelock under contention, and backoff', () => {
  it('randomized exponential backoff shortens time-to-choose when five proposers race (measured over 300 seeds)', () => {
    const seeds = Array.from({ length: 300 }, (_, index) => index + 1);
    const ticksMax = 2_000;
    // Nearly fixed delays (0.9) keep the proposers in step: the case where retrying at once duels.
    const deliverProbability = 0.9;
    const results: Record<string, ReturnType<typeof summarize> & { unfinished: number }> = {};
    for (const backoff of ['none', 'exponential'] as const) {
      const samples = seeds.map((seed) =>
        timeToChooseTicks(seed, backoff, 5, ticksMax, deliverProbability),
      );
      results[backoff] = {
        ...summarize(samples),
        unfinished: samples.filter((ticks) => ticks >= ticksMax).length,
      };
    }
    console.log(
      'time to choose (ticks), 5 proposers, 3 acceptors, 300 seeds:',
      JSON.stringify(results),
    );
    const none = results.none as ReturnType<typeof summarize>;
    const exponential = results.exponential as ReturnType<typeof summarize> & {
      unfinished: number;
    };
    expect(exponential.unfinished).toBe(0);
    expect(exponential.mean).toBeLessThan(none.mean);
    expect(exponential.p99).toBeLessThan(none.p99);
  });
});
