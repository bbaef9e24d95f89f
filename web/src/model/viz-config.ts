import { type NemesisName, type SimConfig, resolveSimConfig } from '../../../src/sim/index.js';

/** What the setup form chooses; everything else takes the visualizer's defaults below. */
export interface VizSetup {
  readonly protocol: string;
  readonly variant: string;
  readonly nodes: number;
  readonly seed: number;
  /** Mean one-way message latency; messages take between half and one and a half times this. */
  readonly latencyMs: number;
  /** Client processes sending a KV workload (KV protocols only). */
  readonly clients: number;
  /** Random faults from the simulator's nemesis generators, as `synod sim --nemesis` takes them. */
  readonly nemesis: readonly NemesisName[];
}

/** The fault sets the setup form offers. */
export const NEMESIS_CHOICES: Readonly<Record<string, readonly NemesisName[]>> = {
  none: [],
  crashes: ['kill', 'restart'],
  partitions: ['partition', 'isolate-leader'],
  'crashes and partitions': ['kill', 'restart', 'partition', 'isolate-leader'],
  everything: ['kill', 'restart', 'partition', 'isolate-leader', 'pause', 'storm'],
};

export const NODES_MIN = 3;
export const NODES_MAX = 9;

/**
 * Long enough to explore by hand; the timeline scrubber spans it. At the default speed it is
 * ten minutes of watching.
 */
export const VIZ_DURATION_US = 30_000_000;

export const DEFAULT_SETUP: VizSetup = {
  protocol: 'raft',
  variant: 'default',
  nodes: 5,
  seed: 1,
  latencyMs: 10,
  clients: 1,
  nemesis: [],
};

/**
 * The simulator's defaults are tuned for finding bugs fast (sub-millisecond messages, busy
 * clients); a person watching needs messages slow enough to follow relative to the timers, and a
 * trickle of client requests.
 */
export function vizConfig(setup: VizSetup): SimConfig {
  const latencyUs = Math.max(1, Math.round(setup.latencyMs * 1000));
  return resolveSimConfig({
    protocol: setup.protocol,
    variant: setup.variant,
    nodes: setup.nodes,
    seed: setup.seed,
    durationUs: VIZ_DURATION_US,
    network: {
      latency: {
        kind: 'uniform',
        minUs: Math.max(1, Math.round(latencyUs / 2)),
        maxUs: Math.round((latencyUs * 3) / 2),
      },
    },
    clients: { count: setup.clients, thinkUsMin: 200_000, thinkUsMax: 600_000 },
    nemesis: { generators: [...setup.nemesis] },
  });
}
