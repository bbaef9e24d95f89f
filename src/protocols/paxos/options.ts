import { assert } from '../../core/assert.js';
import type { BallotScheme } from '../../core/ballot.js';
import { type NodeId, isNodeId } from '../../core/ids.js';
import { SynodError } from '../../core/errors.js';
import { LEARNER_SCHEMES, type LearnerScheme } from './learner.js';
import type { PaxosValue } from './messages.js';
import type { BackoffPolicy } from './proposer.js';

/** The variants of single-decree Paxos; the first is the safe protocol. */
export const PAXOS_VARIANTS = [
  {
    name: 'default',
    unsafe: false,
    description:
      'Lamport’s Paxos: persist before replying, adopt the highest-vrnd value, majority quorums.',
  },
  {
    name: 'reply-before-persist',
    unsafe: true,
    description:
      'Acceptors (and proposers) send before their state is durable: a crash forgets a promise or an accept that a proposer already counted.',
  },
  {
    name: 'ignore-accepted',
    unsafe: true,
    description:
      'Proposers ignore the values reported in promises and always propose their own: a later ballot overwrites a chosen value.',
  },
  {
    name: 'minority-quorum',
    unsafe: true,
    description:
      'Quorums one smaller than a majority: two quorums need not intersect, so two proposers can each get one.',
  },
] as const;

export type PaxosVariant = (typeof PAXOS_VARIANTS)[number]['name'];

export function isPaxosVariant(name: string): name is PaxosVariant {
  return PAXOS_VARIANTS.some((variant) => variant.name === name);
}

/** The quorum size a variant uses among `acceptorCount` acceptors. */
export function quorumSizeFor(variant: PaxosVariant, acceptorCount: number): number {
  const majority = Math.floor(acceptorCount / 2) + 1;
  return variant === 'minority-quorum' ? Math.max(1, majority - 1) : majority;
}

/** Every knob of a Paxos node, with its default. Times are in ticks. */
export interface PaxosOptions {
  /** Which members play which role; default every member plays all three. */
  readonly acceptors: readonly NodeId[] | undefined;
  readonly proposers: readonly NodeId[] | undefined;
  readonly learners: readonly NodeId[] | undefined;
  readonly learnerScheme: LearnerScheme;
  /** The relaying learners of `distinguished` (first one) and `set`; default the first learners. */
  readonly relayLearners: readonly NodeId[] | undefined;
  readonly ballotScheme: BallotScheme;
  /** Proposers start by themselves at a random tick in [1, proposeDelayTicksMax]. */
  readonly autoPropose: boolean;
  readonly proposeDelayTicksMax: number;
  /**
   * A proposer that runs by itself (`autoPropose`) runs Paxos again this long (±50%, random) after
   * it learned the outcome, as a reader would; the safe protocol must choose the same value again.
   * This keeps the simulator's faults meeting live rounds for the whole run. 0: never.
   */
  readonly reproposeEveryTicks: number;
  /**
   * Leader election by Paxos: each proposer proposes itself (its node id), and the chosen value is
   * the leader (`inspect().leader`).
   */
  readonly proposeSelf: boolean;
  /** The value each proposer proposes, by node id; default `"v<id>"`. */
  readonly values: Readonly<Record<string, PaxosValue>> | undefined;
  readonly phaseTimeoutTicks: number;
  readonly backoff: BackoffPolicy;
  readonly backoffTicksBase: number;
  readonly backoffTicksMax: number;
}

export const DEFAULT_PAXOS_OPTIONS: PaxosOptions = {
  acceptors: undefined,
  proposers: undefined,
  learners: undefined,
  learnerScheme: 'all',
  relayLearners: undefined,
  ballotScheme: 'counter',
  autoPropose: true,
  proposeDelayTicksMax: 10,
  reproposeEveryTicks: 50,
  proposeSelf: false,
  values: undefined,
  phaseTimeoutTicks: 20,
  backoff: 'exponential',
  backoffTicksBase: 4,
  backoffTicksMax: 256,
};

function bad(name: string, expected: string): SynodError {
  return new SynodError('BAD_OPTION', `paxos option "${name}" must be ${expected}`);
}

function nodeList(raw: unknown, name: string): readonly NodeId[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || raw.length === 0 || !raw.every(isNodeId))
    throw bad(name, 'a non-empty list of node ids');
  return raw;
}

function positiveInt(raw: unknown, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 1)
    throw bad(name, 'a positive integer');
  return raw;
}

function nonNegativeInt(raw: unknown, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 0)
    throw bad(name, 'a non-negative integer');
  return raw;
}

function oneOf<T extends string>(
  raw: unknown,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !(allowed as readonly string[]).includes(raw))
    throw bad(name, `one of ${allowed.join(', ')}`);
  return raw as T;
}

/** Validates `NodeContext.options`; unknown keys are refused so a typo does not go unnoticed. */
export function parsePaxosOptions(raw: Readonly<Record<string, unknown>>): PaxosOptions {
  const known = Object.keys(DEFAULT_PAXOS_OPTIONS);
  for (const key of Object.keys(raw))
    if (!known.includes(key))
      throw new SynodError(
        'BAD_OPTION',
        `unknown paxos option "${key}" (known: ${known.join(', ')})`,
      );
  const d = DEFAULT_PAXOS_OPTIONS;
  if (raw.autoPropose !== undefined && typeof raw.autoPropose !== 'boolean')
    throw bad('autoPropose', 'true or false');
  if (raw.proposeSelf !== undefined && typeof raw.proposeSelf !== 'boolean')
    throw bad('proposeSelf', 'true or false');
  if (raw.values !== undefined && (typeof raw.values !== 'object' || raw.values === null))
    throw bad('values', 'an object from node id to value');
  const options: PaxosOptions = {
    acceptors: nodeList(raw.acceptors, 'acceptors'),
    proposers: nodeList(raw.proposers, 'proposers'),
    learners: nodeList(raw.learners, 'learners'),
    learnerScheme: oneOf(raw.learnerScheme, 'learnerScheme', LEARNER_SCHEMES, d.learnerScheme),
    relayLearners: nodeList(raw.relayLearners, 'relayLearners'),
    ballotScheme: oneOf(raw.ballotScheme, 'ballotScheme', ['counter', 'timestamp'], d.ballotScheme),
    autoPropose: (raw.autoPropose as boolean | undefined) ?? d.autoPropose,
    proposeDelayTicksMax: positiveInt(
      raw.proposeDelayTicksMax,
      'proposeDelayTicksMax',
      d.proposeDelayTicksMax,
    ),
    reproposeEveryTicks: nonNegativeInt(
      raw.reproposeEveryTicks,
      'reproposeEveryTicks',
      d.reproposeEveryTicks,
    ),
    proposeSelf: (raw.proposeSelf as boolean | undefined) ?? d.proposeSelf,
    values: raw.values as Readonly<Record<string, PaxosValue>> | undefined,
    phaseTimeoutTicks: positiveInt(raw.phaseTimeoutTicks, 'phaseTimeoutTicks', d.phaseTimeoutTicks),
    backoff: oneOf(raw.backoff, 'backoff', ['exponential', 'none'], d.backoff),
    backoffTicksBase: positiveInt(raw.backoffTicksBase, 'backoffTicksBase', d.backoffTicksBase),
    backoffTicksMax: positiveInt(raw.backoffTicksMax, 'backoffTicksMax', d.backoffTicksMax),
  };
  assert(
    options.backoffTicksMax >= options.backoffTicksBase,
    'backoffTicksMax below backoffTicksBase',
  );
  return options;
}
