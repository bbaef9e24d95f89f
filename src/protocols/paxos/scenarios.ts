import type { NodeId } from '../../core/ids.js';
import type { PaxosMessageType, PaxosValue } from './messages.js';

/**
 * The worked examples of the seeds as data: a list of steps that the tests run and assert, and
 * that the simulator or the visualizer can replay as guided tours (`synod scenario run NAME`).
 * `scenario-runner.ts` executes them on the test network (`harness.ts`).
 */

/** What a step must produce: a message of `type` to `to` (default: back to the sender). */
export interface ExpectedMessage {
  readonly type: PaxosMessageType;
  readonly to?: NodeId;
  /** For promises: the reported `(vrnd, v)`, null for "no previous". */
  readonly accepted?: { readonly round: number; readonly value: PaxosValue } | null;
  /** For rejections: the round of the acceptor's `lastRnd`. */
  readonly lastRnd?: number;
  /** For accept requests: the value the proposer asks for. */
  readonly value?: PaxosValue;
}

export type ScenarioStep =
  /** A proposer starts phase 1 with its value; `round` and `to` script "takes number 4, sends to A2 and A3". */
  | {
      readonly do: 'propose';
      readonly node: NodeId;
      readonly value: PaxosValue;
      readonly round?: number;
      readonly to?: readonly NodeId[];
      readonly say?: string;
    }
  /** Deliver the oldest in-flight message from `from` to `to` of `type`. */
  | {
      readonly do: 'deliver';
      readonly from: NodeId;
      readonly to: NodeId;
      readonly type: PaxosMessageType;
      readonly say?: string;
      readonly expect?: ExpectedMessage;
      /** True: the delivery must produce no message at all. */
      readonly expectSilence?: boolean;
    }
  /** Deliver everything in flight (and what it produces) until the network is quiet. */
  | { readonly do: 'deliver-all'; readonly type?: PaxosMessageType; readonly say?: string }
  /** Advance the given nodes' clocks (default all) by `count` ticks, delivering nothing. */
  | {
      readonly do: 'tick';
      readonly count: number;
      readonly nodes?: readonly NodeId[];
      readonly say?: string;
    }
  | { readonly do: 'crash'; readonly node: NodeId; readonly say?: string }
  | { readonly do: 'restart'; readonly node: NodeId; readonly say?: string }
  /**
   * Run freely: each tick, deliver everything in flight, then tick every node; stop once every
   * learner learned or after `ticksMax` ticks.
   */
  | { readonly do: 'run'; readonly ticksMax: number; readonly say?: string };

export interface ScenarioNode {
  readonly id: NodeId;
  readonly name: string;
}

export interface Scenario {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly nodes: readonly ScenarioNode[];
  readonly variant: string;
  /** Options for every node (roles, learner scheme, backoff); see options.ts. */
  readonly options: Readonly<Record<string, unknown>>;
  readonly seed: number;
  readonly steps: readonly ScenarioStep[];
  readonly expect: ScenarioOutcome;
}

/** What must hold at the end: every learner learned `value`; nothing learned; or some one value. */
export type ScenarioOutcome =
  | { readonly kind: 'chosen'; readonly value: PaxosValue }
  | { readonly kind: 'nothing-chosen' }
  | { readonly kind: 'one-value-chosen' }
  /** Exactly what each listed learner learned (null: nothing); for tours where learning fails. */
  | { readonly kind: 'learned'; readonly learned: Readonly<Record<string, PaxosValue | null>> }
  /** The invariant checker must report two different values chosen (an unsafe variant's counterexample). */
  | { readonly kind: 'agreement-violated' };

// Example 1 (seed 000): acceptors X, Y, Z; proposers A [n=2, v=8] and B [n=4, v=5].
const X = 0;
const Y = 1;
const Z = 2;
const A = 3;
const B = 4;

const prepareCarriesNoValue: Scenario = {
  name: 'prepare-carries-no-value',
  title: 'Acceptors X, Y, Z; proposers A [n=2, v=8] and B [n=4, v=5]',
  description:
    'The popular walk-through (seed 000): X and Y hear A first, Z hears B first, then B’s prepare ' +
    'reaches X and Y. The walk-through has X and Y answer B with [n=2, v=8] and ends with ' +
    '[n=4, v=8], because it lets a prepare carry a value. In Paxos a prepare carries only a ' +
    'number and nothing was accepted yet, so X and Y answer B with "no previous", A’s accept is ' +
    'rejected everywhere, and B’s own value 5 is chosen: [n=4, v=5].',
  nodes: [
    { id: X, name: 'X' },
    { id: Y, name: 'Y' },
    { id: Z, name: 'Z' },
    { id: A, name: 'A' },
    { id: B, name: 'B' },
  ],
  variant: 'default',
  options: { acceptors: [X, Y, Z], proposers: [A, B], learners: [X, Y, Z, A, B] },
  seed: 1,
  steps: [
    {
      do: 'propose',
      node: A,
      value: 8,
      round: 2,
      say: 'A sends prepare n=2 (a number, no value) to X, Y, Z',
    },
    { do: 'propose', node: B, value: 5, round: 4, say: 'B sends prepare n=4 to X, Y, Z' },
    {
      do: 'deliver',
      from: A,
      to: X,
      type: 'prepare',
      say: 'X promises n=2: no previous',
      expect: { type: 'promise', accepted: null },
    },
    {
      do: 'deliver',
      from: A,
      to: Y,
      type: 'prepare',
      say: 'Y promises n=2: no previous',
      expect: { type: 'promise', accepted: null },
    },
    {
      do: 'deliver',
      from: B,
      to: Z,
      type: 'prepare',
      say: 'Z hears B first and promises n=4: no previous',
      expect: { type: 'promise', accepted: null },
    },
    {
      do: 'deliver',
      from: A,
      to: Z,
      type: 'prepare',
      say: 'Z refuses n=2: it promised 4',
      expect: { type: 'prepare-rejected', lastRnd: 4 },
    },
    {
      do: 'deliver',
      from: B,
      to: X,
      type: 'prepare',
      say: 'X promises n=4. The walk-through has X answer [n=2, v=8]; but X accepted nothing, it only promised 2',
      expect: { type: 'promise', accepted: null },
    },
    {
      do: 'deliver',
      from: B,
      to: Y,
      type: 'prepare',
      say: 'Y promises n=4, no previous',
      expect: { type: 'promise', accepted: null },
    },
    { do: 'deliver', from: X, to: A, type: 'promise', say: 'A has one promise' },
    {
      do: 'deliver',
      from: Y,
      to: A,
      type: 'promise',
      say: 'A has a majority of promises, none with a value: it asks for [n=2, v=8]',
      expect: { type: 'accept', to: X, value: 8 },
    },
    {
      do: 'deliver',
      from: Z,
      to: A,
      type: 'prepare-rejected',
      say: 'Z’s refusal reaches A, too late to matter',
    },
    {
      do: 'deliver',
      from: A,
      to: X,
      type: 'accept',
      say: 'X refuses [n=2, v=8]: it promised 4',
      expect: { type: 'accept-rejected', lastRnd: 4 },
    },
    {
      do: 'deliver',
      from: A,
      to: Y,
      type: 'accept',
      say: 'Y refuses it too',
      expect: { type: 'accept-rejected', lastRnd: 4 },
    },
    {
      do: 'deliver',
      from: A,
      to: Z,
      type: 'accept',
      say: 'and Z',
      expect: { type: 'accept-rejected', lastRnd: 4 },
    },
    { do: 'deliver', from: X, to: B, type: 'promise', say: 'B has one promise' },
    {
      do: 'deliver',
      from: Y,
      to: B,
      type: 'promise',
      say: 'B has a majority of promises; no acceptor reported an accepted value, so B asks for its own [n=4, v=5]',
      expect: { type: 'accept', to: X, value: 5 },
    },
    {
      do: 'deliver',
      from: B,
      to: X,
      type: 'accept',
      say: 'X accepts [n=4, v=5]',
      expect: { type: 'accepted' },
    },
    {
      do: 'deliver',
      from: B,
      to: Y,
      type: 'accept',
      say: 'Y accepts [n=4, v=5]: a majority, 5 is chosen',
      expect: { type: 'accepted' },
    },
    {
      do: 'deliver',
      from: B,
      to: Z,
      type: 'accept',
      say: 'Z accepts [n=4, v=5]',
      expect: { type: 'accepted' },
    },
    { do: 'deliver-all', say: 'the learners hear from the acceptors and learn 5' },
  ],
  expect: { kind: 'chosen', value: 5 },
};

/**
 * The same acceptors and proposers, but A’s accept reaches X before B’s prepare does: now X has
 * accepted [2, 8] and reports it, and B must adopt 8. This is the schedule under which the
 * walk-through’s ending [n=4, v=8] is what Paxos really does.
 */
const valueCarriedByPromise: Scenario = {
  name: 'value-carried-by-promise',
  title: 'A’s value survives because an acceptor accepted it before promising B',
  description:
    'A variation on the walk-through: A completes phase 1 with X and Y and its accept [n=2, v=8] ' +
    'reaches X before B’s prepare does. X’s promise to B reports (vrnd=2, v=8), and B, bound to ' +
    'propose the value of the highest vrnd, asks for [n=4, v=8]. 8 is chosen.',
  nodes: prepareCarriesNoValue.nodes,
  variant: 'default',
  options: prepareCarriesNoValue.options,
  seed: 1,
  steps: [
    { do: 'propose', node: A, value: 8, round: 2 },
    { do: 'propose', node: B, value: 5, round: 4 },
    { do: 'deliver', from: A, to: X, type: 'prepare', expect: { type: 'promise', accepted: null } },
    { do: 'deliver', from: A, to: Y, type: 'prepare', expect: { type: 'promise', accepted: null } },
    { do: 'deliver', from: B, to: Z, type: 'prepare', expect: { type: 'promise', accepted: null } },
    { do: 'deliver', from: X, to: A, type: 'promise' },
    { do: 'deliver', from: Y, to: A, type: 'promise', expect: { type: 'accept', to: X, value: 8 } },
    {
      do: 'deliver',
      from: A,
      to: X,
      type: 'accept',
      say: 'X accepts [n=2, v=8] before B’s prepare arrives',
      expect: { type: 'accepted' },
    },
    {
      do: 'deliver',
      from: B,
      to: X,
      type: 'prepare',
      say: 'X promises 4 and reports what it accepted: (vrnd=2, v=8)',
      expect: { type: 'promise', accepted: { round: 2, value: 8 } },
    },
    { do: 'deliver', from: B, to: Y, type: 'prepare', expect: { type: 'promise', accepted: null } },
    { do: 'deliver', from: X, to: B, type: 'promise' },
    {
      do: 'deliver',
      from: Y,
      to: B,
      type: 'promise',
      say: 'B must adopt the value of the highest vrnd: it asks for [n=4, v=8], not its own 5',
      expect: { type: 'accept', to: X, value: 8 },
    },
    {
      do: 'deliver-all',
      say: 'A’s remaining accepts are refused; B’s [n=4, v=8] is accepted everywhere',
    },
  ],
  expect: { kind: 'chosen', value: 8 },
};

// Example 2 (seed 003): the servers' proposers P1..P3 and the acceptors A1..A3 are separate
// processes in the seed's figure, so they are separate nodes here; the proposers are the learners.
const P1 = 0;
const P2 = 1;
const P3 = 2;
const A1 = 3;
const A2 = 4;
const A3 = 5;

const leaderElection: Scenario = {
  name: 'leader-election',
  title: 'Three servers elect a leader: numbers 2, 1, 3, then 4; server2 wins',
  description:
    'Seed 003: each server’s proposer proposes that server. Proposer2 takes number 1 and asks ' +
    'Acceptor2 and Acceptor3, Proposer1 takes 2 and asks Acceptor1 and Acceptor2, Proposer3 ' +
    'takes 3 and asks Acceptor2 and Acceptor3. Acceptor2 refuses number 1, so Proposer2 takes 4 ' +
    'and asks Acceptor2 and Acceptor3 again. In phase 2 only (4, server2) finds acceptors that ' +
    'have not promised higher: it is chosen and server2 is the leader.',
  nodes: [
    { id: P1, name: 'Proposer1' },
    { id: P2, name: 'Proposer2' },
    { id: P3, name: 'Proposer3' },
    { id: A1, name: 'Acceptor1' },
    { id: A2, name: 'Acceptor2' },
    { id: A3, name: 'Acceptor3' },
  ],
  variant: 'default',
  options: { acceptors: [A1, A2, A3], proposers: [P1, P2, P3], learners: [P1, P2, P3] },
  seed: 1,
  steps: [
    {
      do: 'propose',
      node: P2,
      value: 'server2',
      round: 1,
      to: [A2, A3],
      say: 'Proposer2 takes number 1, sends it to Acceptor2 and Acceptor3',
    },
    {
      do: 'propose',
      node: P1,
      value: 'server1',
      round: 2,
      to: [A1, A2],
      say: 'Proposer1 takes number 2, sends it to Acceptor1 and Acceptor2',
    },
    {
      do: 'propose',
      node: P3,
      value: 'server3',
      round: 3,
      to: [A2, A3],
      say: 'Proposer3 takes number 3, sends it to Acceptor2 and Acceptor3',
    },
    {
      do: 'deliver',
      from: P1,
      to: A1,
      type: 'prepare',
      say: 'Acceptor1 promises 2: (2, null)',
      expect: { type: 'promise', accepted: null },
    },
    {
      do: 'deliver',
      from: P1,
      to: A2,
      type: 'prepare',
      say: 'Acceptor2 promises 2: (2, null)',
      expect: { type: 'promise', accepted: null },
    },
    {
      do: 'deliver',
      from: P2,
      to: A3,
      type: 'prepare',
      say: 'Acceptor3 promises 1: (1, null)',
      expect: { type: 'promise', accepted: null },
    },
    {
      do: 'deliver',
      from: P2,
      to: A2,
      type: 'prepare',
      say: 'Acceptor2 refuses 1: it promised 2',
      expect: { type: 'prepare-rejected', lastRnd: 2 },
    },
    {
      do: 'deliver',
      from: P3,
      to: A2,
      type: 'prepare',
      say: 'Acceptor2 promises 3 > 2: (3, null)',
      expect: { type: 'promise', accepted: null },
    },
    {
      do: 'deliver',
      from: P3,
      to: A3,
      type: 'prepare',
      say: 'Acceptor3 promises 3 > 1: (3, null)',
      expect: { type: 'promise', accepted: null },
    },
    {
      do: 'deliver',
      from: A3,
      to: P2,
      type: 'promise',
      say: 'Acceptor3’s (1, null) reaches Proposer2',
      expectSilence: true,
    },
    {
      do: 'deliver',
      from: A2,
      to: P2,
      type: 'prepare-rejected',
      say: 'Acceptor2’s refusal reaches Proposer2: a majority of its two acceptors is out of reach',
      expectSilence: true,
    },
    {
      do: 'propose',
      node: P2,
      value: 'server2',
      round: 4,
      to: [A2, A3],
      say: 'Proposer2 takes number 4, sends it to Acceptor2 and Acceptor3',
    },
    {
      do: 'deliver',
      from: P2,
      to: A2,
      type: 'prepare',
      say: 'Acceptor2 promises 4 > 3: (4, null)',
      expect: { type: 'promise', accepted: null },
    },
    {
      do: 'deliver',
      from: P2,
      to: A3,
      type: 'prepare',
      say: 'Acceptor3 promises 4 > 3: (4, null)',
      expect: { type: 'promise', accepted: null },
    },
    {
      do: 'deliver',
      from: A2,
      to: P3,
      type: 'promise',
      say: 'Proposer3 has one promise for 3',
      expectSilence: true,
    },
    {
      do: 'deliver',
      from: A3,
      to: P3,
      type: 'promise',
      say: 'Proposer3 has a majority, all null: it sends (3, server3)',
      expect: { type: 'accept', to: A2, value: 'server3' },
    },
    {
      do: 'deliver',
      from: A1,
      to: P1,
      type: 'promise',
      say: 'Proposer1 has one promise for 2',
      expectSilence: true,
    },
    {
      do: 'deliver',
      from: A2,
      to: P1,
      type: 'promise',
      say: 'Proposer1 has a majority, all null: it sends (2, server1)',
      expect: { type: 'accept', to: A1, value: 'server1' },
    },
    {
      do: 'deliver',
      from: A2,
      to: P2,
      type: 'promise',
      say: 'Proposer2 has one promise for 4',
      expectSilence: true,
    },
    {
      do: 'deliver',
      from: A3,
      to: P2,
      type: 'promise',
      say: 'Proposer2 has a majority, all null: it sends (4, server2)',
      expect: { type: 'accept', to: A2, value: 'server2' },
    },
    {
      do: 'deliver',
      from: P1,
      to: A1,
      type: 'accept',
      say: 'Acceptor1 accepts (2, server1): one acceptor, not a majority',
      expect: { type: 'accepted' },
    },
    {
      do: 'deliver',
      from: P1,
      to: A2,
      type: 'accept',
      say: 'Acceptor2 refuses (2, server1): it promised 4',
      expect: { type: 'accept-rejected', lastRnd: 4 },
    },
    {
      do: 'deliver',
      from: P2,
      to: A2,
      type: 'accept',
      say: 'Acceptor2 accepts (4, server2)',
      expect: { type: 'accepted' },
    },
    {
      do: 'deliver',
      from: P2,
      to: A3,
      type: 'accept',
      say: 'Acceptor3 accepts (4, server2): a majority, server2 is chosen',
      expect: { type: 'accepted' },
    },
    {
      do: 'deliver',
      from: P3,
      to: A2,
      type: 'accept',
      say: 'Acceptor2 refuses (3, server3): it promised 4',
      expect: { type: 'accept-rejected', lastRnd: 4 },
    },
    {
      do: 'deliver',
      from: P3,
      to: A3,
      type: 'accept',
      say: 'Acceptor3 refuses (3, server3)',
      expect: { type: 'accept-rejected', lastRnd: 4 },
    },
    { do: 'deliver-all', say: 'the learners learn (4, server2): server2 is the leader' },
  ],
  expect: { kind: 'chosen', value: 'server2' },
};

// Example 3 (seeds 002 and 004): livelock, and randomized binary exponential backoff ending it.
const livelockNodes: readonly ScenarioNode[] = prepareCarriesNoValue.nodes;
const livelockOptions = { acceptors: [X, Y, Z], proposers: [A, B], learners: [X, Y, Z, A, B] };

function deliverToAcceptors(from: NodeId, type: PaxosMessageType): ScenarioStep[] {
  return [X, Y, Z].map((to) => ({ do: 'deliver', from, to, type }) as const);
}

function deliverFromAcceptors(to: NodeId, type: PaxosMessageType, say: string): ScenarioStep[] {
  return [X, Y, Z].map((from, index) =>
    index === 2
      ? ({ do: 'deliver', from, to, type, say } as const)
      : ({ do: 'deliver', from, to, type } as const),
  );
}

/** One proposer's phase 1 completes: prepares out, promises back, accepts queued. */
function winPhase1(proposer: NodeId, name: string): ScenarioStep[] {
  return [
    ...deliverToAcceptors(proposer, 'prepare'),
    ...deliverFromAcceptors(
      proposer,
      'promise',
      `${name} has a majority of promises and sends its accepts`,
    ),
  ];
}

/** `loser`'s accepts meet acceptors that promised the rival's higher ballot. */
function losePhase2(loser: NodeId, name: string): ScenarioStep[] {
  return [
    ...deliverToAcceptors(loser, 'accept'),
    ...deliverFromAcceptors(
      loser,
      'accept-rejected',
      `${name}’s accepts were refused: it was preempted`,
    ),
    { do: 'tick', count: 1, nodes: [loser], say: `${name} retries at once with a higher ballot` },
  ];
}

function livelockRounds(rounds: number): ScenarioStep[] {
  const steps: ScenarioStep[] = [
    { do: 'propose', node: A, value: 'a', say: 'A proposes a' },
    ...winPhase1(A, 'A'),
    { do: 'propose', node: B, value: 'b', say: 'B proposes b' },
    ...winPhase1(B, 'B'),
  ];
  for (let round = 0; round < rounds; round++) {
    steps.push(...losePhase2(A, 'A'), ...winPhase1(A, 'A'));
    steps.push(...losePhase2(B, 'B'), ...winPhase1(B, 'B'));
  }
  return steps;
}

const livelock: Scenario = {
  name: 'livelock',
  title: 'Two proposers preempt each other forever',
  description:
    'Seeds 002 and 004: A completes phase 1, then B completes phase 1 with a higher ballot before ' +
    'A’s accepts arrive; A’s accepts are refused, A retries at once with a ballot above B’s and ' +
    'completes phase 1 before B’s accepts arrive, and so on. Every prepare succeeds and every ' +
    'accept fails: no value is ever chosen. The schedule here repeats the duel four times.',
  nodes: livelockNodes,
  variant: 'default',
  options: { ...livelockOptions, backoff: 'none' },
  seed: 1,
  steps: livelockRounds(4),
  expect: { kind: 'nothing-chosen' },
};

const livelockBackoff: Scenario = {
  name: 'livelock-backoff',
  title: 'Randomized exponential backoff ends the livelock',
  description:
    'The same duel, but a preempted proposer waits a random number of ticks, drawn from a window ' +
    'that doubles with each consecutive failure, before it retries. Soon one proposer’s phase 2 ' +
    'runs while the other waits, and a value is chosen.',
  nodes: livelockNodes,
  variant: 'default',
  options: { ...livelockOptions, backoff: 'exponential', backoffTicksBase: 4, backoffTicksMax: 64 },
  seed: 1,
  steps: [
    ...livelockRounds(0),
    ...deliverToAcceptors(A, 'accept'),
    ...deliverFromAcceptors(
      A,
      'accept-rejected',
      'A was preempted: it backs off for a random number of ticks',
    ),
    {
      do: 'run',
      ticksMax: 500,
      say: 'let the network run: each tick, deliver everything, then tick every node',
    },
  ],
  expect: { kind: 'one-value-chosen' },
};

// The unsafe variants' counterexamples, each the shortest schedule we know.
const AB_OPTIONS = { acceptors: [X, Y, Z], proposers: [A, B], learners: [X, Y, Z, A, B] };

/** A gets 'a' accepted by X and Y: 'a' is chosen. */
function chooseAWithXY(to?: readonly NodeId[]): ScenarioStep[] {
  return [
    {
      do: 'propose',
      node: A,
      value: 'a',
      round: 1,
      ...(to === undefined ? {} : { to }),
      say: 'A proposes a',
    },
    { do: 'deliver', from: A, to: X, type: 'prepare' },
    { do: 'deliver', from: A, to: Y, type: 'prepare' },
    { do: 'deliver', from: X, to: A, type: 'promise' },
    { do: 'deliver', from: Y, to: A, type: 'promise' },
    { do: 'deliver', from: A, to: X, type: 'accept' },
    { do: 'deliver', from: A, to: Y, type: 'accept', say: 'X and Y accepted [1, a]: a is chosen' },
  ];
}

/** B runs both phases with X and Y. */
function bWithXY(): ScenarioStep[] {
  return [
    { do: 'propose', node: B, value: 'b', round: 2, say: 'B proposes b with a higher ballot' },
    { do: 'deliver', from: B, to: X, type: 'prepare' },
    { do: 'deliver', from: B, to: Y, type: 'prepare' },
    { do: 'deliver', from: X, to: B, type: 'promise' },
    { do: 'deliver', from: Y, to: B, type: 'promise' },
    { do: 'deliver', from: B, to: X, type: 'accept' },
    { do: 'deliver', from: B, to: Y, type: 'accept' },
  ];
}

const unsafeReplyBeforePersist: Scenario = {
  name: 'unsafe-reply-before-persist',
  title: 'reply-before-persist: a crash makes acceptors forget a chosen value',
  description:
    'X and Y accept [1, a] and answer before their state is durable; both crash and come back ' +
    'empty. B’s prepare finds no accepted value, so B proposes b, and X and Y accept it: a and b ' +
    'are both chosen. With sync before reply, X and Y would report [1, a] and B would propose a.',
  nodes: prepareCarriesNoValue.nodes,
  variant: 'reply-before-persist',
  options: AB_OPTIONS,
  seed: 1,
  steps: [
    ...chooseAWithXY(),
    { do: 'crash', node: X, say: 'X crashes before its write reached the disk' },
    { do: 'crash', node: Y, say: 'Y too' },
    { do: 'restart', node: X, say: 'X restarts with no promise and no accepted value' },
    { do: 'restart', node: Y },
    ...bWithXY(),
  ],
  expect: { kind: 'agreement-violated' },
};

const unsafeIgnoreAccepted: Scenario = {
  name: 'unsafe-ignore-accepted',
  title: 'ignore-accepted: a proposer overwrites a chosen value',
  description:
    'a is chosen by X and Y. B’s promises report [1, a], but this proposer ignores them and asks ' +
    'for its own b, which X and Y accept in the higher ballot: a and b are both chosen.',
  nodes: prepareCarriesNoValue.nodes,
  variant: 'ignore-accepted',
  options: AB_OPTIONS,
  seed: 1,
  steps: [...chooseAWithXY(), ...bWithXY()],
  expect: { kind: 'agreement-violated' },
};

const unsafeMinorityQuorum: Scenario = {
  name: 'unsafe-minority-quorum',
  title: 'minority-quorum: two quorums that do not intersect',
  description:
    'With a quorum of one acceptor out of three, A completes both phases with X alone and B with ' +
    'Z alone. No acceptor is in both quorums to tell B about a: a and b are both chosen.',
  nodes: prepareCarriesNoValue.nodes,
  variant: 'minority-quorum',
  options: AB_OPTIONS,
  seed: 1,
  steps: [
    { do: 'propose', node: A, value: 'a', round: 1, to: [X], say: 'A asks X only' },
    { do: 'deliver', from: A, to: X, type: 'prepare' },
    { do: 'deliver', from: X, to: A, type: 'promise' },
    {
      do: 'deliver',
      from: A,
      to: X,
      type: 'accept',
      say: 'X accepts [1, a]: one acceptor is a "quorum", a is chosen',
    },
    { do: 'propose', node: B, value: 'b', round: 2, to: [Z], say: 'B asks Z only' },
    { do: 'deliver', from: B, to: Z, type: 'prepare' },
    { do: 'deliver', from: Z, to: B, type: 'promise' },
    { do: 'deliver', from: B, to: Z, type: 'accept', say: 'Z accepts [2, b]: b is chosen too' },
  ],
  expect: { kind: 'agreement-violated' },
};

// Seed 000's learner schemes: acceptors 0..2, proposer 3, learners 4..7, node 4 the relay.
const distinguishedLearnerCrash: Scenario = {
  name: 'distinguished-learner-crash',
  title: 'The distinguished learner crashes: a value is chosen, and nobody learns it',
  description:
    'Seed 000, scheme two: acceptors send what they accept to one distinguished learner, which ' +
    'tells the others (acceptors + learners − 1 messages instead of acceptors × learners). Here ' +
    'it crashes as the acceptors’ news arrives: x is chosen, yet learners 5, 6 and 7 never hear ' +
    'of it. A set of relays (scheme three) survives such a crash at the price of more messages.',
  nodes: [
    { id: 0, name: 'acceptor0' },
    { id: 1, name: 'acceptor1' },
    { id: 2, name: 'acceptor2' },
    { id: 3, name: 'proposer' },
    { id: 4, name: 'relay' },
    { id: 5, name: 'learner5' },
    { id: 6, name: 'learner6' },
    { id: 7, name: 'learner7' },
  ],
  variant: 'default',
  options: {
    acceptors: [0, 1, 2],
    proposers: [3],
    learners: [4, 5, 6, 7],
    learnerScheme: 'distinguished',
  },
  seed: 1,
  steps: [
    { do: 'propose', node: 3, value: 'x', say: 'the proposer proposes x' },
    { do: 'deliver-all', type: 'prepare' },
    {
      do: 'deliver-all',
      type: 'promise',
      say: 'a majority promised: the proposer asks to accept x',
    },
    { do: 'deliver-all', type: 'accept', say: 'every acceptor accepts x and tells only the relay' },
    { do: 'deliver', from: 0, to: 4, type: 'learn', say: 'the relay hears from one acceptor' },
    { do: 'crash', node: 4, say: 'the relay crashes before it hears from a majority' },
    {
      do: 'deliver-all',
      say: 'the rest of the news goes to a dead node; learners 5, 6, 7 learn nothing',
    },
  ],
  expect: { kind: 'learned', learned: { '5': null, '6': null, '7': null } },
};

export const PAXOS_SCENARIOS: readonly Scenario[] = [
  prepareCarriesNoValue,
  valueCarriedByPromise,
  leaderElection,
  livelock,
  livelockBackoff,
  distinguishedLearnerCrash,
  unsafeReplyBeforePersist,
  unsafeIgnoreAccepted,
  unsafeMinorityQuorum,
];

export function findScenario(name: string): Scenario | undefined {
  return PAXOS_SCENARIOS.find((scenario) => scenario.name === name);
}
