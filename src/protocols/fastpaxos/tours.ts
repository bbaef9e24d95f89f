import type { NodeId } from '../../core/ids.js';
import { type Tour, type TourStepResult, tourOf } from '../../core/tour.js';
import type { PaxosValue } from '../paxos/messages.js';
import { valueKey } from '../paxos/messages.js';
import { type FastPaxosNetwork, fastPaxosNetwork } from './harness.js';

/** One step of a Fast Paxos walk-through, played on the test network. */
export type FastPaxosStep =
  | {
      readonly do: 'propose';
      readonly node: NodeId;
      readonly value: PaxosValue;
      readonly say: string;
    }
  | {
      readonly do: 'deliver';
      readonly from: NodeId;
      readonly to: NodeId;
      readonly type: string;
      readonly say: string;
    }
  | { readonly do: 'deliver-all'; readonly type?: string; readonly say: string };

export interface FastPaxosScenario {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly variant: string;
  readonly options: Readonly<Record<string, unknown>>;
  readonly names: Readonly<Record<number, string>>;
  readonly steps: readonly FastPaxosStep[];
  /** The values chosen at the end, as the invariant checker sees them (two: agreement broken). */
  readonly chosen: readonly PaxosValue[];
}

// Seed 002: five acceptors, proposers X and Y, and C, who recovers after the collision.
const ACCEPTORS = [0, 1, 2, 3, 4];
const X = 5;
const Y = 6;
const C = 7;
const NAMES: Record<number, string> = {
  0: 'A1',
  1: 'A2',
  2: 'A3',
  3: 'A4',
  4: 'A5',
  5: 'X',
  6: 'Y',
  7: 'C',
};

function collision(readingSays: string, finalSays: string): FastPaxosStep[] {
  return [
    {
      do: 'propose',
      node: X,
      value: 'x',
      say: 'X sends x straight to all five acceptors (fast round, no phase 1)',
    },
    {
      do: 'propose',
      node: Y,
      value: 'y',
      say: 'Y sends y straight to all five acceptors at the same time',
    },
    ...[0, 1, 2].map(
      (to) =>
        ({
          do: 'deliver',
          from: X,
          to,
          type: 'propose-fast',
          say: `${NAMES[to]} gets x first and votes for it`,
        }) as const,
    ),
    ...[3, 4].map(
      (to) =>
        ({
          do: 'deliver',
          from: Y,
          to,
          type: 'propose-fast',
          say: `${NAMES[to]} gets y first and votes for it`,
        }) as const,
    ),
    {
      do: 'deliver-all',
      type: 'propose-fast',
      say: 'the late proposals arrive: each acceptor votes once in a fast round, so all are ignored',
    },
    {
      do: 'deliver',
      from: 2,
      to: C,
      type: 'learn',
      say: 'C reads a majority of acceptors: A3 voted x',
    },
    { do: 'deliver', from: 3, to: C, type: 'learn', say: 'A4 voted y' },
    { do: 'deliver', from: 4, to: C, type: 'learn', say: readingSays },
    { do: 'deliver-all', say: finalSays },
  ];
}

const OPTIONS = { acceptors: ACCEPTORS, proposers: [X, Y], coordinator: C, autoPropose: false };

export const FAST_PAXOS_SCENARIOS: readonly FastPaxosScenario[] = [
  {
    name: 'fast-paxos-collision-fast-quorum',
    title: 'Fast Paxos, 3 votes against 2, fast quorum ⌈3n/4⌉ = 4',
    description:
      'Seed 002: X gets three acceptors, Y two. No value has the four votes a fast quorum needs, so nothing is chosen yet. C reads a majority (A3, A4, A5: x once, y twice): x could have at most 1 + 2 unseen = 3 < 4 votes, so it cannot have been chosen; y could have 2 + 2 = 4. Only y may have been chosen, so C proposes y in a classic round, and y is the one value chosen.',
    variant: 'default',
    options: OPTIONS,
    names: NAMES,
    steps: collision(
      'A5 voted y. C sees a collision; with fast quorum 4 only y may have been chosen, so C asks for y in classic ballot 2.C',
      'every acceptor accepts y in the classic ballot: y is chosen, and only y',
    ),
    chosen: ['y'],
  },
  {
    name: 'fast-paxos-collision-classic-quorum',
    title: 'Fast Paxos with a classic-sized fast quorum (3 of 5): two values chosen',
    description:
      'The same schedule with fast quorums of a majority (variant classic-quorum-fast-round). X’s three votes already chose x. C reads A3, A4, A5 (x once, y twice): x may have been chosen (1 + 2 unseen = 3) and so may y (2 + 2 = 4). C cannot tell, takes the value with more votes, y, and the acceptors accept it in a higher ballot: x and y are both chosen.',
    variant: 'classic-quorum-fast-round',
    options: OPTIONS,
    names: NAMES,
    steps: collision(
      'A5 voted y. With fast quorum 3 both x and y may have been chosen: C cannot tell, and picks y (more votes)',
      'the acceptors accept y in the classic ballot: y is chosen — and x was chosen by A1, A2, A3 in the fast round',
    ),
    chosen: ['x', 'y'],
  },
];

function describe(step: FastPaxosStep): string {
  const name = (id: NodeId): string => NAMES[id] ?? String(id);
  if (step.do === 'propose') return `${name(step.node)} proposes ${valueKey(step.value)}`;
  if (step.do === 'deliver') return `deliver ${step.type} ${name(step.from)} → ${name(step.to)}`;
  return step.type === undefined ? 'deliver everything in flight' : `deliver every ${step.type}`;
}

/** Plays a scenario step by step; `chosen()` is what the checker saw chosen so far. */
export class FastPaxosScenarioRun {
  readonly network: FastPaxosNetwork;
  readonly violations: string[];
  private index = 0;
  private readonly chosenValues: () => PaxosValue[];

  constructor(readonly scenario: FastPaxosScenario) {
    const ids = Object.keys(scenario.names).map(Number);
    const { network, checker, violations } = fastPaxosNetwork(
      ids,
      scenario.variant,
      scenario.options,
    );
    this.network = network;
    this.violations = violations;
    this.chosenValues = () => checker.chosenValues();
  }

  get done(): boolean {
    return this.index >= this.scenario.steps.length;
  }

  chosen(): PaxosValue[] {
    return this.chosenValues();
  }

  next(): TourStepResult {
    const step = this.scenario.steps[this.index] as FastPaxosStep;
    const index = this.index++;
    const notesBefore = this.network.notes.length;
    if (step.do === 'propose') this.network.act(step.node, (node) => node.propose(step.value));
    else if (step.do === 'deliver')
      this.network.deliver({ from: step.from, to: step.to, type: step.type });
    else this.network.deliverAll(step.type === undefined ? {} : { type: step.type });
    const lines = [
      step.say,
      ...this.network.notes
        .slice(notesBefore)
        .filter(({ note }) => note.kind !== 'propose')
        .map(({ node, note }) => `${NAMES[node] ?? node}: ${note.text}`),
    ];
    if (!this.done) return { index, title: describe(step), lines, problems: [] };
    const chosen = this.chosen().map(valueKey).sort();
    const expected = this.scenario.chosen.map(valueKey).sort();
    const problems =
      JSON.stringify(chosen) === JSON.stringify(expected)
        ? []
        : [`expected ${expected.join(', ')} chosen, got ${chosen.join(', ') || 'nothing'}`];
    return {
      index,
      title: describe(step),
      lines: [...lines, `chosen — ${chosen.join(', ') || 'nothing'}`],
      problems,
    };
  }
}

/** Seed 002's 3-vs-2 collision, with the right and the wrong fast quorum, as guided tours. */
export const FAST_PAXOS_TOURS: readonly Tour[] = FAST_PAXOS_SCENARIOS.map((scenario) =>
  tourOf('fastpaxos', scenario, () => new FastPaxosScenarioRun(scenario)),
);
