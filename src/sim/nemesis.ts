import type { NodeId } from '../core/ids.js';
import type { Rng } from '../core/rng.js';
import type { NemesisConfig } from './config.js';

/**
 * Which nodes an action hits. Explicit ids are fixed when the schedule is written; the names are
 * resolved when the action runs, from the cluster's state then (the leader moves) and the
 * nemesis's own random stream.
 */
export type NodeSelector =
  readonly NodeId[] | 'leader' | 'all' | 'crashed' | 'paused' | 'random-one' | 'random-minority';

/** Faults as data: a schedule is a list of these with times, written by hand or generated. */
export type NemesisAction =
  /** Cut every link between different sides, both ways. Nodes in no side form one more side. */
  | { readonly type: 'partition'; readonly sides: readonly (readonly NodeId[])[] }
  /** Cut the selected nodes off from all others, both ways. */
  | { readonly type: 'isolate'; readonly nodes: NodeSelector }
  /**
   * Two sides that cannot talk, and one node that talks to both (the "bridge" topology). Nodes in
   * neither side keep every link.
   */
  | {
      readonly type: 'bridge';
      readonly bridge: NodeId;
      readonly sides: readonly [readonly NodeId[], readonly NodeId[]];
    }
  /** Cut one directed link: `from` can no longer reach `to`, the other direction still works. */
  | { readonly type: 'cut'; readonly from: NodeId; readonly to: NodeId }
  | { readonly type: 'heal' }
  | { readonly type: 'crash'; readonly nodes: NodeSelector }
  | { readonly type: 'restart'; readonly nodes: NodeSelector }
  | { readonly type: 'pause'; readonly nodes: NodeSelector }
  | { readonly type: 'resume'; readonly nodes: NodeSelector }
  | {
      readonly type: 'skew';
      readonly node: NodeId;
      readonly offsetUs: number;
      readonly driftPpm: number;
    }
  | {
      readonly type: 'storm';
      readonly lossProbability: number;
      readonly duplicateProbability: number;
      readonly reorderProbability: number;
    }
  | { readonly type: 'calm' };

export type NemesisActionType = NemesisAction['type'];

export interface TimedAction {
  readonly atUs: number;
  readonly action: NemesisAction;
}

export const NEMESIS_NAMES = [
  'partition',
  'bridge',
  'one-way',
  'isolate-leader',
  'kill',
  'restart',
  'pause',
  'skew',
  'storm',
] as const;

export type NemesisName = (typeof NEMESIS_NAMES)[number];

export function isNemesisName(value: unknown): value is NemesisName {
  return typeof value === 'string' && (NEMESIS_NAMES as readonly string[]).includes(value);
}

/** A fault and the action that undoes it. */
interface Fault {
  readonly start: NemesisAction;
  readonly end: NemesisAction;
}

type FaultMaker = (rng: Rng, members: readonly NodeId[]) => Fault | undefined;

function minoritySize(count: number): number {
  return Math.floor((count - 1) / 2);
}

function splitInTwo(rng: Rng, members: readonly NodeId[]): [NodeId[], NodeId[]] {
  const shuffled = rng.shuffle(members);
  const cut = rng.int(1, shuffled.length - 1);
  return [shuffled.slice(0, cut).sort(byId), shuffled.slice(cut).sort(byId)];
}

function byId(a: NodeId, b: NodeId): number {
  return a - b;
}

const FAULT_MAKERS: Readonly<Record<NemesisName, FaultMaker>> = {
  partition: (rng, members) => {
    if (members.length < 2) return undefined;
    return { start: { type: 'partition', sides: splitInTwo(rng, members) }, end: { type: 'heal' } };
  },
  bridge: (rng, members) => {
    if (members.length < 3) return undefined;
    const shuffled = rng.shuffle(members);
    const bridge = shuffled[0]!;
    const [left, right] = splitInTwo(rng, shuffled.slice(1));
    return { start: { type: 'bridge', bridge, sides: [left, right] }, end: { type: 'heal' } };
  },
  'one-way': (rng, members) => {
    if (members.length < 2) return undefined;
    const [from, to] = rng.shuffle(members);
    return { start: { type: 'cut', from: from!, to: to! }, end: { type: 'heal' } };
  },
  'isolate-leader': (_rng, members) => {
    if (members.length < 2) return undefined;
    return { start: { type: 'isolate', nodes: 'leader' }, end: { type: 'heal' } };
  },
  kill: (rng, members) => {
    const size = minoritySize(members.length);
    if (size === 0) return undefined;
    const victims = rng.shuffle(members).slice(0, rng.int(1, size)).sort(byId);
    return { start: { type: 'crash', nodes: victims }, end: { type: 'restart', nodes: victims } };
  },
  restart: (rng, members) => {
    const nodes: NodeSelector = rng.chance(0.5) ? 'leader' : [rng.pick(members)];
    return { start: { type: 'crash', nodes }, end: { type: 'restart', nodes: 'crashed' } };
  },
  pause: (rng, members) => {
    const nodes: NodeSelector = rng.chance(0.5) ? 'leader' : [rng.pick(members)];
    return { start: { type: 'pause', nodes }, end: { type: 'resume', nodes: 'paused' } };
  },
  skew: (rng, members) => {
    const node = rng.pick(members);
    return {
      start: {
        type: 'skew',
        node,
        offsetUs: rng.int(-200_000, 200_000),
        driftPpm: rng.int(-50_000, 50_000),
      },
      end: { type: 'skew', node, offsetUs: 0, driftPpm: 0 },
    };
  },
  storm: (rng) => ({
    start: {
      type: 'storm',
      lossProbability: roundProbability(rng.next() * 0.3),
      duplicateProbability: roundProbability(rng.next() * 0.3),
      reorderProbability: roundProbability(rng.next() * 0.5),
    },
    end: { type: 'calm' },
  }),
};

/** Probabilities with three decimals read well in traces and replay exactly from JSON. */
function roundProbability(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/**
 * The schedule of one run: each named generator, from its own stream `rng.split(name)`, alternates
 * calm intervals and faults between `startUs` and `durationUs - quietUs`; the explicit schedule is
 * merged in. Sorted by time; ties keep generator order, then explicit order.
 */
export function generateSchedule(
  config: NemesisConfig,
  members: readonly NodeId[],
  durationUs: number,
  rng: Rng,
): TimedAction[] {
  const endUs = durationUs - config.quietUs;
  const actions: TimedAction[] = [];
  for (const name of config.generators) {
    const stream = rng.split(name);
    const make = FAULT_MAKERS[name];
    let atUs = config.startUs + stream.int(config.intervalUsMin, config.intervalUsMax);
    while (atUs < endUs) {
      const fault = make(stream, members);
      if (fault === undefined) break;
      const untilUs = Math.min(endUs, atUs + stream.int(config.faultUsMin, config.faultUsMax));
      actions.push({ atUs, action: fault.start }, { atUs: untilUs, action: fault.end });
      atUs = untilUs + stream.int(config.intervalUsMin, config.intervalUsMax);
    }
  }
  actions.push(...config.schedule);
  // A stable sort: equal times keep their insertion order.
  return actions
    .map((action, index) => ({ action, index }))
    .sort((a, b) => a.action.atUs - b.action.atUs || a.index - b.index)
    .map(({ action }) => action);
}
