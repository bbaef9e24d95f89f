import { SynodError } from '../../core/errors.js';
import { type NodeId, isNodeId } from '../../core/ids.js';
import { fastQuorumSize, majority } from '../../core/quorum.js';

/** The variants of Fast Paxos; the first is the safe protocol. */
export const FAST_PAXOS_VARIANTS = [
  {
    name: 'default',
    unsafe: false,
    description:
      'Fast rounds need ⌈3n/4⌉ acceptors, so any two fast quorums and a classic quorum intersect and recovery can tell which value may have been chosen.',
  },
  {
    name: 'classic-quorum-fast-round',
    unsafe: true,
    description:
      'Fast rounds need only a majority: after a collision, a recovery that reads a majority cannot tell which value may have been chosen, and can choose another.',
  },
] as const;

export type FastPaxosVariant = (typeof FAST_PAXOS_VARIANTS)[number]['name'];

export function isFastPaxosVariant(name: string): name is FastPaxosVariant {
  return FAST_PAXOS_VARIANTS.some((variant) => variant.name === name);
}

/** The fast-round quorum size a variant uses among `acceptorCount` acceptors. */
export function fastQuorumFor(variant: FastPaxosVariant, acceptorCount: number): number {
  return variant === 'classic-quorum-fast-round'
    ? majority(acceptorCount)
    : fastQuorumSize(acceptorCount);
}

/** After a collision: the coordinator picks and runs a classic round, or every acceptor picks and votes in a second fast round. */
export type RecoveryMode = 'coordinated' | 'uncoordinated';

export interface FastPaxosOptions {
  /** Which members are acceptors and which propose; default every member does both. */
  readonly acceptors: readonly NodeId[] | undefined;
  readonly proposers: readonly NodeId[] | undefined;
  /** The node that recovers from collisions and runs classic rounds; default the first member. */
  readonly coordinator: NodeId | undefined;
  readonly recovery: RecoveryMode;
  /** Proposers start by themselves at a random tick in [1, proposeDelayTicksMax]; false in tests and tours. */
  readonly autoPropose: boolean;
  readonly proposeDelayTicksMax: number;
  /** With no value learned this long after it saw a vote, the coordinator runs a classic round (phase 1 and 2). */
  readonly recoveryTimeoutTicks: number;
}

export const DEFAULT_FAST_PAXOS_OPTIONS: FastPaxosOptions = {
  acceptors: undefined,
  proposers: undefined,
  coordinator: undefined,
  recovery: 'coordinated',
  autoPropose: true,
  proposeDelayTicksMax: 3,
  recoveryTimeoutTicks: 10,
};

function bad(name: string, expected: string): SynodError {
  return new SynodError('BAD_OPTION', `fastpaxos option "${name}" must be ${expected}`);
}

function nodes(raw: unknown, name: string): readonly NodeId[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || raw.length === 0 || !raw.every(isNodeId))
    throw bad(name, 'a non-empty list of node ids');
  return raw as NodeId[];
}

function positive(raw: unknown, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 1)
    throw bad(name, 'a positive integer');
  return raw;
}

export function parseFastPaxosOptions(raw: Readonly<Record<string, unknown>>): FastPaxosOptions {
  const d = DEFAULT_FAST_PAXOS_OPTIONS;
  for (const name of Object.keys(raw))
    if (!(name in d))
      throw new SynodError(
        'BAD_OPTION',
        `fastpaxos has no option ${JSON.stringify(name)} (known: ${Object.keys(d).join(', ')})`,
      );
  if (raw.coordinator !== undefined && !isNodeId(raw.coordinator))
    throw bad('coordinator', 'a node id');
  if (
    raw.recovery !== undefined &&
    raw.recovery !== 'coordinated' &&
    raw.recovery !== 'uncoordinated'
  )
    throw bad('recovery', '"coordinated" or "uncoordinated"');
  if (raw.autoPropose !== undefined && typeof raw.autoPropose !== 'boolean')
    throw bad('autoPropose', 'true or false');
  return {
    acceptors: nodes(raw.acceptors, 'acceptors'),
    proposers: nodes(raw.proposers, 'proposers'),
    coordinator: raw.coordinator as NodeId | undefined,
    recovery: (raw.recovery as RecoveryMode | undefined) ?? d.recovery,
    autoPropose: (raw.autoPropose as boolean | undefined) ?? d.autoPropose,
    proposeDelayTicksMax: positive(
      raw.proposeDelayTicksMax,
      'proposeDelayTicksMax',
      d.proposeDelayTicksMax,
    ),
    recoveryTimeoutTicks: positive(
      raw.recoveryTimeoutTicks,
      'recoveryTimeoutTicks',
      d.recoveryTimeoutTicks,
    ),
  };
}
