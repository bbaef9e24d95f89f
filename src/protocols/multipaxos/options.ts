import { SynodError } from '../../core/errors.js';

/** The variants of Multi-Paxos; the first is the safe protocol. */
export const MULTIPAXOS_VARIANTS = [
  {
    name: 'default',
    unsafe: false,
    description:
      'A new leader runs phase 1 over every slot not known chosen, re-proposes the highest-ballot value of each and fills holes with no-ops.',
  },
  {
    name: 'skip-phase1-on-takeover',
    unsafe: true,
    description:
      'A new leader skips phase 1 and proposes new commands right after the slots it knows chosen: it overwrites slots chosen without its knowledge.',
  },
  {
    name: 'noop-without-quorum',
    unsafe: true,
    description:
      'A new leader fills every slot it did not accept itself with a no-op, ignoring what the promises report: a chosen command becomes a no-op.',
  },
  {
    name: 'phase1-in-one-config',
    unsafe: true,
    description:
      'Phase 1 counts a majority of the configuration the candidate knows in force only, not of the configurations chosen in the slots it recovers: a value chosen by a later configuration that shares no acceptor with its majority is overwritten.',
  },
] as const;

export type MultiPaxosVariant = (typeof MULTIPAXOS_VARIANTS)[number]['name'];

export function isMultiPaxosVariant(name: string): name is MultiPaxosVariant {
  return MULTIPAXOS_VARIANTS.some((variant) => variant.name === name);
}

/** Every knob, in ticks and counts. */
export interface MultiPaxosOptions {
  /** The leader sends accepts or heartbeats to every peer this often. */
  readonly heartbeatTicks: number;
  /**
   * After an accept or heartbeat from the leader, an acceptor refuses other proposers' prepares for
   * this long: a stable leader is not preempted. Liveness only; safety never reads it.
   */
  readonly leaseTicks: number;
  /** A follower that hears no leader for a random time in [electionTicks, 2·electionTicks) runs phase 1. */
  readonly electionTicks: number;
  /** Slots the leader may have in phase 2 at once (pipelining). */
  readonly pipelineSlotsMax: number;
  /** Commands one slot carries at most (batching). */
  readonly batchCommandsMax: number;
  /** Commands waiting at the leader for a slot; beyond it `propose` refuses. */
  readonly queuedCommandsMax: number;
  /** Chosen slots one catch-up message carries at most. */
  readonly catchUpSlotsMax: number;
  /**
   * Commands, as JSON, one slot's batch, one catch-up or one retransmission carries at most (0: no
   * limit); at least one command or slot goes, so a large one still moves. Without it a batch of
   * large values, or a catch-up of many such slots, becomes one message of gigabytes, over the
   * transport's frame limit and stringified in one step.
   */
  readonly messageBytesMax: number;
  /** The KV compacts the log behind a snapshot after this many applied entries (0: never). */
  readonly snapshotEveryEntries: number;
}

export const DEFAULT_MULTIPAXOS_OPTIONS: MultiPaxosOptions = {
  heartbeatTicks: 2,
  leaseTicks: 6,
  electionTicks: 10,
  pipelineSlotsMax: 8,
  batchCommandsMax: 32,
  queuedCommandsMax: 10_000,
  catchUpSlotsMax: 64,
  messageBytesMax: 0,
  snapshotEveryEntries: 64,
};

/** Validates untrusted options (scenario files, CLI flags); unknown names and bad values are user errors. */
export function parseMultiPaxosOptions(raw: Readonly<Record<string, unknown>>): MultiPaxosOptions {
  const result: Record<string, number> = { ...DEFAULT_MULTIPAXOS_OPTIONS };
  for (const [name, value] of Object.entries(raw)) {
    if (!(name in DEFAULT_MULTIPAXOS_OPTIONS))
      throw new SynodError(
        'BAD_OPTION',
        `multipaxos has no option ${JSON.stringify(name)} (known: ${Object.keys(DEFAULT_MULTIPAXOS_OPTIONS).join(', ')})`,
      );
    const floor = name === 'snapshotEveryEntries' || name === 'messageBytesMax' ? 0 : 1;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < floor)
      throw new SynodError(
        'BAD_OPTION',
        `multipaxos option ${name} must be an integer >= ${floor}`,
      );
    result[name] = value;
  }
  const options = result as unknown as MultiPaxosOptions;
  if (options.leaseTicks >= options.electionTicks || options.heartbeatTicks >= options.leaseTicks)
    throw new SynodError(
      'BAD_OPTION',
      'multipaxos needs heartbeatTicks < leaseTicks < electionTicks, so a live leader renews its lease before it lapses and followers wait it out',
    );
  return options;
}
