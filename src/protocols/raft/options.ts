import { SynodError } from '../../core/errors.js';

export type ReadMode = 'read-index' | 'lease';

export interface RaftOptions {
  /** The election timeout is drawn from [electionTicks, 2 * electionTicks) (etcd's range). */
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  /** Unacknowledged appends per follower in replicate state (the pipelining window). */
  readonly maxInflightMessages: number;
  /** … and appends whose entries total this many bytes of JSON (0: no limit; MaxInflightBytes). */
  readonly maxInflightBytes: number;
  readonly maxEntriesPerMessage: number;
  /** An append carries entries up to about this many bytes of JSON (at least one entry; 0: no limit). */
  readonly maxBytesPerMessage: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  /**
   * `read-index`: every read barrier costs a heartbeat round to a quorum. `lease`: the leader
   * answers from its lease (needs checkQuorum) and trusts that tick rates drift less than
   * `leaseMarginTicks` per election timeout (see README).
   */
  readonly readMode: ReadMode;
  readonly leaseMarginTicks: number;
  /** Proposals and reads waiting at a node (forward buffer, reads before the first commit). */
  readonly pendingMax: number;
  /** Start with an empty configuration and wait to be added (a new member). */
  readonly join: boolean;
  /** The KV wrapper compacts the log after this many applied entries (0: never). */
  readonly snapshotEveryEntries: number;
}

/** With 10 ms ticks: elections after 150–300 ms, heartbeats every 30 ms (the paper's range). */
export const DEFAULT_RAFT_OPTIONS: RaftOptions = {
  electionTicks: 15,
  heartbeatTicks: 3,
  maxInflightMessages: 64,
  maxInflightBytes: 0,
  maxEntriesPerMessage: 64,
  maxBytesPerMessage: 0,
  preVote: true,
  checkQuorum: true,
  readMode: 'read-index',
  leaseMarginTicks: 2,
  pendingMax: 4096,
  join: false,
  snapshotEveryEntries: 1000,
};

type Rule = (value: unknown) => boolean;
const positiveInteger: Rule = (value) => Number.isSafeInteger(value) && (value as number) >= 1;
const nonNegativeInteger: Rule = (value) => Number.isSafeInteger(value) && (value as number) >= 0;
const boolean: Rule = (value) => typeof value === 'boolean';

const RULES: Record<keyof RaftOptions, [Rule, string]> = {
  electionTicks: [positiveInteger, 'a positive integer'],
  heartbeatTicks: [positiveInteger, 'a positive integer'],
  maxInflightMessages: [positiveInteger, 'a positive integer'],
  maxInflightBytes: [nonNegativeInteger, 'a non-negative integer'],
  maxEntriesPerMessage: [positiveInteger, 'a positive integer'],
  maxBytesPerMessage: [nonNegativeInteger, 'a non-negative integer'],
  preVote: [boolean, 'true or false'],
  checkQuorum: [boolean, 'true or false'],
  readMode: [(value) => value === 'read-index' || value === 'lease', '"read-index" or "lease"'],
  leaseMarginTicks: [nonNegativeInteger, 'a non-negative integer'],
  pendingMax: [positiveInteger, 'a positive integer'],
  join: [boolean, 'true or false'],
  snapshotEveryEntries: [nonNegativeInteger, 'a non-negative integer'],
};

function invalid(message: string): SynodError {
  return new SynodError('RAFT_BAD_OPTION', message);
}

/** Defaults overlaid with `given`; throws a SynodError naming the bad option and what it needs. */
export function parseRaftOptions(given: Readonly<Record<string, unknown>>): RaftOptions {
  const options: Record<string, unknown> = { ...DEFAULT_RAFT_OPTIONS };
  for (const [name, value] of Object.entries(given)) {
    const rule = RULES[name as keyof RaftOptions];
    if (rule === undefined)
      throw invalid(`unknown Raft option "${name}" (known: ${Object.keys(RULES).join(', ')})`);
    if (!rule[0](value))
      throw invalid(`Raft option "${name}" must be ${rule[1]}, got ${JSON.stringify(value)}`);
    options[name] = value;
  }
  const result = options as unknown as RaftOptions;
  if (result.heartbeatTicks >= result.electionTicks)
    throw invalid('Raft option "heartbeatTicks" must be smaller than "electionTicks"');
  if (result.readMode === 'lease' && !result.checkQuorum)
    throw invalid('Raft lease reads need "checkQuorum": true (the lease is the quorum check)');
  if (result.leaseMarginTicks >= result.electionTicks)
    throw invalid('Raft option "leaseMarginTicks" must be smaller than "electionTicks"');
  return result;
}
