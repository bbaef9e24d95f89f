import { SynodError } from '../../core/errors.js';
import type { VariantInfo } from '../../core/protocol.js';

/**
 * The strategies of seed 002 ("复制的策略") and the derivation that follows them, as variants of one
 * protocol, in the order the seed derives them. The first is the safe default (DESIGN.md): the only
 * primary–backup strategy that never loses an acknowledged write, because its primary never moves.
 */
export const REPLICATION_VARIANTS = [
  {
    name: 'default',
    unsafe: false,
    description:
      'Synchronous primary–backup with a fixed primary: a write is acknowledged after every backup stored it. Linearizable; one replica down stops all writes.',
  },
  {
    name: 'async',
    unsafe: true,
    description:
      'Asynchronous primary–backup (MySQL binlog): acknowledge, then ship on the next tick. After failover an acknowledged write is gone.',
  },
  {
    name: 'semisync',
    unsafe: true,
    description:
      'Semi-synchronous primary–backup: acknowledge after k backups (default 1) stored the write. A to backup 1, B to backup 2, crash: no backup holds both.',
  },
  {
    name: 'majority',
    unsafe: true,
    description:
      'Majority read/write without versions: nodes 0,1 hold a=x and 1,2 hold a=y; a reader of 0 and 1 sees two values and cannot decide.',
  },
  {
    name: 'lww',
    unsafe: true,
    description:
      'Majority read/write, last writer wins by timestamp: a writer that crashes after one copy makes readers flip between old and new.',
  },
  {
    name: 'versioned',
    unsafe: true,
    description:
      'The versioned variable i: read the latest version from a majority, write the next one. Two concurrent inc lose an update.',
  },
  {
    name: 'prepared',
    unsafe: false,
    description:
      'Versioned with a recorded pre-read: nodes remember the last pre-read ballot and only its writer may write — Paxos phase 1 + phase 2 per operation. Linearizable.',
  },
] as const satisfies readonly VariantInfo[];

export type ReplicationVariant = (typeof REPLICATION_VARIANTS)[number]['name'];

export type PrimaryBackupVariant = 'default' | 'async' | 'semisync';
export type QuorumVariant = 'majority' | 'lww' | 'versioned' | 'prepared';

export function isReplicationVariant(name: string): name is ReplicationVariant {
  return REPLICATION_VARIANTS.some((variant) => variant.name === name);
}

export function isPrimaryBackupVariant(name: ReplicationVariant): name is PrimaryBackupVariant {
  return name === 'default' || name === 'async' || name === 'semisync';
}

/** Every knob, with its default. Times are in ticks. */
export interface ReplicationOptions {
  /**
   * Primary–backup: a backup that hears nothing from its primary for this many ticks moves to the
   * next view, whose primary is the next member in line. 0 turns failover off (the primary is fixed).
   */
  readonly failoverTicks: number;
  /** Semi-synchronous: how many backups must store a write before it is acknowledged. */
  readonly semisyncAcks: number;
  /** Upper bound on entries in one replicate message (a resend after a long outage is cut in pieces). */
  readonly shipEntriesMax: number;
  /** Quorum strategies: an operation without its quorum after this many ticks is dropped unanswered. */
  readonly operationTimeoutTicks: number;
  /** `prepared`: how often a rejected pre-read is retried with a higher ballot before the request fails. */
  readonly prepareRetriesMax: number;
  /** `prepared`: a retry waits a random number of ticks in [1, this] (livelock, seed 002). */
  readonly retryBackoffTicksMax: number;
  /** Upper bound on requests a node holds unanswered; beyond it requests fail at once. */
  readonly pendingRequestsMax: number;
}

export const DEFAULT_REPLICATION_OPTIONS: ReplicationOptions = {
  failoverTicks: 10,
  semisyncAcks: 1,
  shipEntriesMax: 64,
  operationTimeoutTicks: 50,
  prepareRetriesMax: 3,
  retryBackoffTicksMax: 5,
  pendingRequestsMax: 1000,
};

/**
 * The options for `variant`, from the simulator's untyped record. The default variant is the
 * synchronous strategy with its primary fixed, so failover is off unless asked for explicitly.
 */
export function parseReplicationOptions(
  variant: ReplicationVariant,
  raw: Readonly<Record<string, unknown>>,
): ReplicationOptions {
  const defaults: ReplicationOptions =
    variant === 'default'
      ? { ...DEFAULT_REPLICATION_OPTIONS, failoverTicks: 0 }
      : DEFAULT_REPLICATION_OPTIONS;
  const result: Record<string, number> = { ...defaults };
  for (const [name, value] of Object.entries(raw)) {
    if (!(name in defaults))
      throw new SynodError(
        'BAD_OPTION',
        `unknown replication option "${name}"; known: ${Object.keys(defaults).join(', ')}`,
      );
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
      throw new SynodError(
        'BAD_OPTION',
        `replication option "${name}" must be a non-negative integer, got ${JSON.stringify(value)}`,
      );
    result[name] = value;
  }
  return result as unknown as ReplicationOptions;
}
