import { assert } from '../core/assert.js';
import { SEED_MAX } from '../core/rng.js';
import type { SimConfig } from './config.js';
import { type RunResult, Simulation, type SimulationOptions } from './simulation.js';

/** Runs one simulation to its end and checks it. */
export function runSimulation(config: SimConfig, options: SimulationOptions = {}): RunResult {
  return new Simulation(config, options).run();
}

export interface SeedRange {
  /** First seed, inclusive. */
  readonly from: number;
  /** Last seed, inclusive. */
  readonly to: number;
}

export interface SweepProgress {
  readonly seed: number;
  readonly runsDone: number;
  readonly runsTotal: number;
  readonly result: RunResult;
}

export interface SweepResult {
  readonly runs: number;
  readonly passed: number;
  /** Seeds whose linearizability verdict was `unknown` (budget exhausted): neither pass nor fail. */
  readonly unknownSeeds: readonly number[];
  /** The first run with a violation; the sweep stops there. Replay it with its seed. */
  readonly firstViolation?: RunResult;
}

/**
 * Runs `config` once per seed in the range, in order, and stops at the first violation. Traces are
 * not recorded (replay the failing seed with a trace sink to get one).
 */
export function sweep(
  config: SimConfig,
  seeds: SeedRange,
  onProgress?: (progress: SweepProgress) => void,
  options: Omit<SimulationOptions, 'trace' | 'onEvent'> = {},
): SweepResult {
  assert(
    Number.isSafeInteger(seeds.from) && Number.isSafeInteger(seeds.to) && seeds.from >= 0,
    `bad seed range ${seeds.from}..${seeds.to}`,
  );
  assert(
    seeds.from <= seeds.to && seeds.to <= SEED_MAX,
    `empty seed range ${seeds.from}..${seeds.to}`,
  );
  const runsTotal = seeds.to - seeds.from + 1;
  const unknownSeeds: number[] = [];
  let passed = 0;
  let runs = 0;
  for (let seed = seeds.from; seed <= seeds.to; seed++) {
    const result = runSimulation({ ...config, seed }, options);
    runs++;
    if (result.ok && result.linearizability?.verdict === 'unknown') unknownSeeds.push(seed);
    else if (result.ok) passed++;
    onProgress?.({ seed, runsDone: runs, runsTotal, result });
    if (!result.ok) return { runs, passed, unknownSeeds, firstViolation: result };
  }
  return { runs, passed, unknownSeeds };
}
