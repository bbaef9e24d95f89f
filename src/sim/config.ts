import type { NodeId } from '../core/ids.js';
import type { NemesisName, TimedAction } from './nemesis.js';

/** How long a message (or an fsync) takes, in virtual microseconds. */
export type LatencyDistribution =
  | { readonly kind: 'fixed'; readonly us: number }
  | { readonly kind: 'uniform'; readonly minUs: number; readonly maxUs: number }
  /** Exponential with mean `meanUs`, capped at `maxUs` so one draw cannot stall a run. */
  | { readonly kind: 'exponential'; readonly meanUs: number; readonly maxUs: number };

/** Settings of one directed link that differ from the network's defaults. */
export interface LinkOverride {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly latency?: LatencyDistribution;
  readonly lossProbability?: number;
}

export interface NetworkConfig {
  /** The default latency of every link (a draw below 1 µs counts as 1 µs). */
  readonly latency: LatencyDistribution;
  readonly links: readonly LinkOverride[];
  readonly lossProbability: number;
  readonly duplicateProbability: number;
  /** With this probability a message gets an extra delay in [0, reorderDelayUsMax], overtaking or overtaken. */
  readonly reorderProbability: number;
  readonly reorderDelayUsMax: number;
  /** Messages in flight beyond this bound are dropped ("overload"), so duplication cannot explode a run. */
  readonly inFlightMessagesMax: number;
}

export interface DiskConfig {
  readonly fsyncLatency: LatencyDistribution;
}

/** A node's local clock: `offsetUs` ahead of true time, running fast by `driftPpm`. */
export interface ClockSkew {
  readonly node: NodeId;
  readonly offsetUs: number;
  readonly driftPpm: number;
}

/** Relative weights of the operations a client issues. */
export interface WorkloadMix {
  readonly get: number;
  readonly put: number;
  readonly delete: number;
  readonly cas: number;
  readonly inc: number;
}

export interface ClientConfig {
  /** Concurrent client processes; 0 disables clients. Ignored for protocols that serve no KV. */
  readonly count: number;
  /** After this long without an answer an operation is recorded as `info` (indeterminate). */
  readonly timeoutUs: number;
  /** Pause between one operation's completion and the next invocation. */
  readonly thinkUsMin: number;
  readonly thinkUsMax: number;
  /**
   * Extra wait after an operation that failed or timed out, before the next one: a client does not
   * hammer a node that refuses it (and with zero think time, could not loop in zero virtual time).
   */
  readonly backoffUs: number;
  /** Operations touch keys k0..k{keys-1}: few keys, many conflicts. */
  readonly keys: number;
  readonly mix: WorkloadMix;
  /** After a `fail` that names a leader, the process moves to that node. */
  readonly followLeaderHint: boolean;
  /** Stop issuing operations after this many in total (0: no limit); bounds the checker's work. */
  readonly operationsMax: number;
}

export interface NemesisConfig {
  /** Named generators that build a schedule from the seed (see nemesis.ts). */
  readonly generators: readonly NemesisName[];
  /** Explicit timed actions, merged with the generated ones. */
  readonly schedule: readonly TimedAction[];
  /** Generated faults start after this and stop before `durationUs - quietUs`. */
  readonly startUs: number;
  readonly quietUs: number;
  /** Calm time between two faults of one generator. */
  readonly intervalUsMin: number;
  readonly intervalUsMax: number;
  /** How long one fault lasts before the generator undoes it. */
  readonly faultUsMin: number;
  readonly faultUsMax: number;
}

export interface LinearizabilityConfig {
  /** Whether to check the client history at the end (protocols that serve KV only). */
  readonly enabled: boolean;
  readonly maxSteps?: number;
  readonly timeoutMs?: number;
}

/** Everything a run depends on. Same configuration and seed: byte-identical trace. */
export interface SimConfig {
  readonly protocol: string;
  readonly variant: string;
  readonly nodes: number;
  readonly seed: number;
  readonly durationUs: number;
  /** Virtual time between two `tick()` calls of a node; each node has its own random phase. */
  readonly tickIntervalUs: number;
  /** Protocol-specific options, passed to `NodeContext.options`. */
  readonly options: Readonly<Record<string, unknown>>;
  readonly network: NetworkConfig;
  readonly disk: DiskConfig;
  readonly clocks: readonly ClockSkew[];
  readonly clients: ClientConfig;
  readonly nemesis: NemesisConfig;
  readonly linearizability: LinearizabilityConfig;
  /** Inputs queued at a paused node beyond this bound fail an assertion: a bug in the scenario's bounds. */
  readonly backlogMax: number;
}

type DeepPartial<T> = {
  -readonly [K in keyof T]?: T[K] extends readonly (infer _)[]
    ? T[K]
    : T[K] extends object
      ? DeepPartial<T[K]>
      : T[K];
};

/** What a caller (CLI, scenario file, visualizer) gives: a protocol name and any overrides. */
export type SimConfigInput = DeepPartial<SimConfig> & { readonly protocol: string };

export const DEFAULT_NETWORK: NetworkConfig = {
  latency: { kind: 'uniform', minUs: 200, maxUs: 2_000 },
  links: [],
  lossProbability: 0,
  duplicateProbability: 0,
  reorderProbability: 0,
  reorderDelayUsMax: 10_000,
  inFlightMessagesMax: 100_000,
};

export const DEFAULT_DISK: DiskConfig = {
  fsyncLatency: { kind: 'uniform', minUs: 0, maxUs: 1_000 },
};

export const DEFAULT_CLIENTS: ClientConfig = {
  count: 5,
  timeoutUs: 500_000,
  thinkUsMin: 0,
  thinkUsMax: 20_000,
  backoffUs: 10_000,
  keys: 3,
  mix: { get: 4, put: 2, delete: 1, cas: 2, inc: 2 },
  followLeaderHint: true,
  operationsMax: 0,
};

export const DEFAULT_NEMESIS: NemesisConfig = {
  generators: [],
  schedule: [],
  startUs: 200_000,
  quietUs: 500_000,
  intervalUsMin: 100_000,
  intervalUsMax: 1_000_000,
  faultUsMin: 100_000,
  faultUsMax: 1_500_000,
};

export const DEFAULT_DURATION_US = 5_000_000;
export const DEFAULT_TICK_INTERVAL_US = 10_000;
export const DEFAULT_BACKLOG_MAX = 1_000_000;
