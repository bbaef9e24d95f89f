import type { NodeId } from '../../core/ids.js';
import { type Tour, type TourStepResult, tourOf } from '../../core/tour.js';
import type { MessageFilter } from '../paxos/harness.js';
import { type MultiPaxosTestCluster, multiPaxosCluster } from './harness.js';

/** One step of a Multi-Paxos walk-through on the test cluster. */
export type MultiPaxosStep =
  | { readonly do: 'elect'; readonly node: NodeId; readonly say: string }
  | {
      readonly do: 'put';
      readonly node: NodeId;
      readonly key: string;
      readonly value: string;
      readonly say: string;
    }
  | { readonly do: 'deliver'; readonly filter: MessageFilter; readonly say: string }
  | { readonly do: 'drop'; readonly filter: MessageFilter; readonly say: string }
  | { readonly do: 'crash'; readonly node: NodeId; readonly say: string }
  | { readonly do: 'deliver-all'; readonly say: string };

export interface MultiPaxosScenario {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly variant: string;
  readonly steps: readonly MultiPaxosStep[];
  /** The KV a node holds at the end (null: absent), and whether the checker must report a violation. */
  readonly expect: {
    readonly node: NodeId;
    readonly kv: Readonly<Record<string, string | null>>;
    readonly violated: boolean;
  };
}

const THREE = [0, 1, 2];

/** Leader 0 gets x chosen with node 1 while node 2 hears nothing; y is lost everywhere; z reaches node 1. */
const LEADER_CHANGE_PREFIX: readonly MultiPaxosStep[] = [
  {
    do: 'elect',
    node: 0,
    say: 'node 0 takes the lead with ballot 1.0 (by default after one phase 1 that covers every slot)',
  },
  {
    do: 'put',
    node: 0,
    key: 'x',
    value: '1',
    say: 'slot 1: the leader sends accept(x=1) — phase 2 only',
  },
  {
    do: 'deliver',
    filter: { from: 0, to: 1, type: 'accept' },
    say: 'node 1 accepts slot 1: with the leader, a majority — x=1 is chosen',
  },
  { do: 'drop', filter: { to: 2 }, say: 'node 2 never hears of slot 1' },
  { do: 'put', node: 0, key: 'y', value: '2', say: 'slot 2: accept(y=2), pipelined' },
  {
    do: 'drop',
    filter: { type: 'accept' },
    say: 'slot 2’s accepts are lost: only the leader accepted y=2',
  },
  { do: 'put', node: 0, key: 'z', value: '3', say: 'slot 3: accept(z=3)' },
  { do: 'deliver', filter: { from: 0, to: 1, type: 'accept' }, say: 'node 1 accepts slot 3' },
  { do: 'drop', filter: { to: 2 }, say: 'node 2 hears nothing' },
  { do: 'crash', node: 0, say: 'the leader crashes before anyone learns slots 1 and 3 are chosen' },
];

export const MULTIPAXOS_SCENARIOS: readonly MultiPaxosScenario[] = [
  {
    name: 'multipaxos-leader-change',
    title:
      'Multi-Paxos: a new leader re-proposes what may be chosen and fills the hole with a no-op',
    description:
      'Seeds 002/004: a leader runs phase 1 once and then phase 2 per command. It crashes with x=1 chosen in slot 1 (with node 1), y=2 accepted by nobody else in slot 2, and z=3 accepted by node 1 in slot 3. Node 2 knew none of it. Its phase 1 over every open slot reads node 1: it re-proposes x=1 and z=3, and writes a no-op into slot 2, where nobody reported a value.',
    variant: 'default',
    steps: [
      ...LEADER_CHANGE_PREFIX,
      {
        do: 'elect',
        node: 2,
        say: 'node 2 runs phase 1 from slot 1: node 1 reports slots 1 and 3; slot 2 is a hole',
      },
      { do: 'deliver-all', say: 'x=1, a no-op and z=3 are chosen in slots 1–3 in the new ballot' },
    ],
    expect: { node: 2, kv: { x: '1', y: null, z: '3' }, violated: false },
  },
  {
    name: 'multipaxos-skip-phase1-on-takeover',
    title: 'Multi-Paxos without phase 1 on takeover: a chosen slot is overwritten',
    description:
      'The same crash, but the new leader skips phase 1 (variant skip-phase1-on-takeover): knowing no slot chosen, it writes its own command into slot 1, node 1 accepts it in the higher ballot, and slot 1 has two chosen values.',
    variant: 'skip-phase1-on-takeover',
    steps: [
      ...LEADER_CHANGE_PREFIX,
      { do: 'elect', node: 2, say: 'node 2 takes over with a higher ballot and no phase 1' },
      {
        do: 'put',
        node: 2,
        key: 'w',
        value: '9',
        say: 'it proposes w=9 in slot 1, the first slot it does not know chosen',
      },
      { do: 'deliver-all', say: 'node 1 accepts w=9 in slot 1: x=1 and w=9 are both chosen there' },
    ],
    expect: { node: 2, kv: { x: null, w: '9' }, violated: true },
  },
];

function describe(step: MultiPaxosStep): string {
  switch (step.do) {
    case 'elect':
      return `node ${step.node} becomes leader`;
    case 'put':
      return `put ${step.key}=${step.value} at node ${step.node}`;
    case 'deliver':
    case 'drop':
      return `${step.do} ${step.filter.type ?? 'messages'}${step.filter.from === undefined ? '' : ` ${step.filter.from}`} → ${step.filter.to ?? 'any'}`;
    case 'crash':
      return `node ${step.node} crashes`;
    case 'deliver-all':
      return 'deliver everything in flight';
  }
}

/** Plays a scenario step by step on the test cluster. */
export class MultiPaxosScenarioRun {
  readonly cluster: MultiPaxosTestCluster;
  private index = 0;

  constructor(readonly scenario: MultiPaxosScenario) {
    this.cluster = multiPaxosCluster(THREE, scenario.variant);
  }

  get done(): boolean {
    return this.index >= this.scenario.steps.length;
  }

  next(): TourStepResult {
    const step = this.scenario.steps[this.index] as MultiPaxosStep;
    const index = this.index++;
    const { network } = this.cluster;
    const notesBefore = network.notes.length;
    const violationsBefore = this.cluster.violations.length;
    this.play(step);
    const lines = [
      step.say,
      ...network.notes.slice(notesBefore).map(({ node, note }) => `node ${node}: ${note.text}`),
      ...this.cluster.violations
        .slice(violationsBefore)
        .map((violation) => `violation — ${violation}`),
    ];
    return { index, title: describe(step), lines, problems: this.done ? this.checkOutcome() : [] };
  }

  /** What did not end as the scenario expects. */
  checkOutcome(): string[] {
    const { node, kv, violated } = this.scenario.expect;
    const problems: string[] = [];
    for (const [key, value] of Object.entries(kv)) {
      const got = this.cluster.network.node(node).state.apply({ f: 'get', key });
      if ((got as { value: string | null }).value !== value)
        problems.push(`node ${node}: expected ${key}=${value}, got ${JSON.stringify(got)}`);
    }
    if (this.cluster.violations.length > 0 !== violated)
      problems.push(
        violated
          ? 'expected a violation, the checker found none'
          : `unexpected: ${this.cluster.violations.join('; ')}`,
      );
    return problems;
  }

  private play(step: MultiPaxosStep): void {
    const { network } = this.cluster;
    if (step.do === 'elect') this.cluster.elect(step.node);
    else if (step.do === 'put') this.cluster.put(step.node, step.key, step.value);
    else if (step.do === 'deliver') network.deliver(step.filter);
    else if (step.do === 'drop') network.drop(step.filter);
    else if (step.do === 'crash') network.crash(step.node);
    else network.deliverAll();
  }
}

/** The leader change of seeds 002/004, safe and with phase 1 skipped, as guided tours. */
export const MULTIPAXOS_TOURS: readonly Tour[] = MULTIPAXOS_SCENARIOS.map((scenario) =>
  tourOf('multipaxos', scenario, () => new MultiPaxosScenarioRun(scenario)),
);
