import { assert } from '../../core/assert.js';
import type { NodeId } from '../../core/ids.js';
import { JointQuorum, type QuorumSystem, majorityQuorum } from '../../core/quorum.js';

/**
 * A configuration: the acceptors whose majorities choose (voters) and the nodes that only learn
 * (learners, etcd's `member add --learner`). Both sorted, disjoint.
 */
export interface MultiPaxosConfig {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

/** A slot value that changes the configuration: chosen in slot s, it governs every slot after s. */
export interface ConfigValue {
  readonly config: MultiPaxosConfig;
}

export const EMPTY_CONFIG: MultiPaxosConfig = { voters: [], learners: [] };

function sorted(ids: Iterable<NodeId>): NodeId[] {
  return [...new Set(ids)].sort((a, b) => a - b);
}

export function configOf(
  voters: readonly NodeId[],
  learners: readonly NodeId[] = [],
): MultiPaxosConfig {
  const voterIds = sorted(voters);
  return { voters: voterIds, learners: sorted(learners).filter((id) => !voterIds.includes(id)) };
}

export function isConfigValue(value: unknown): value is ConfigValue {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'config' in value;
}

/** Everyone a leader sends to under `config`: voters and learners. */
export function membersOf(config: MultiPaxosConfig): NodeId[] {
  return sorted([...config.voters, ...config.learners]);
}

export function isVoterOf(config: MultiPaxosConfig, id: NodeId): boolean {
  return config.voters.includes(id);
}

export function sameConfig(a: MultiPaxosConfig, b: MultiPaxosConfig): boolean {
  const key = (config: MultiPaxosConfig) =>
    `${config.voters.join(',')}|${config.learners.join(',')}`;
  return key(a) === key(b);
}

/** A majority of the voters of each configuration given (one, or two across a change). */
export function quorumOfAll(configs: readonly MultiPaxosConfig[]): QuorumSystem {
  assert(configs.length > 0, 'a quorum needs a configuration');
  const [first, ...rest] = configs as [MultiPaxosConfig, ...MultiPaxosConfig[]];
  let quorum: QuorumSystem = majorityQuorum(first.voters);
  for (const config of rest)
    if (!sameConfig(config, first)) quorum = new JointQuorum(quorum, majorityQuorum(config.voters));
  return quorum;
}

/**
 * The configuration a change to `target` makes, or why it is refused. One voter added or removed
 * per change (learners freely): any majority of the old voters then meets any majority of the new
 * ones, which is what keeps a read barrier and a deposed leader's quorum check sound across the
 * change (README.md, "Membership changes").
 */
export function nextConfig(
  current: MultiPaxosConfig,
  target: { readonly voters: readonly NodeId[]; readonly learners?: readonly NodeId[] },
): MultiPaxosConfig | string {
  const next = configOf(target.voters, target.learners ?? []);
  if (next.voters.length === 0) return 'a configuration needs at least one voter';
  const added = next.voters.filter((id) => !current.voters.includes(id)).length;
  const removed = current.voters.filter((id) => !next.voters.includes(id)).length;
  if (added + removed > 1)
    return `multipaxos changes one voter at a time (asked to add ${added} and remove ${removed})`;
  return next;
}

export function describeConfig(config: MultiPaxosConfig): string {
  const learners = config.learners.length > 0 ? ` learners {${config.learners.join(',')}}` : '';
  return `{${config.voters.join(',')}}${learners}`;
}

/**
 * Which configuration governs which slot, as far as this node knows chosen values: `base` is in
 * force after `baseSlot` (the snapshot, or the boot configuration at slot 0), and each chosen
 * configuration slot above it governs the slots after it. Bounded by the chosen slots it mirrors.
 */
export class ConfigHistory {
  private baseSlot = 0;
  private base: MultiPaxosConfig;
  /** Chosen configuration slots above `baseSlot`, ascending. */
  private readonly changes: { readonly slot: number; readonly config: MultiPaxosConfig }[] = [];

  constructor(boot: MultiPaxosConfig) {
    this.base = boot;
  }

  /** The configuration governing `slot`: the last one chosen in a slot before it. */
  at(slot: number): MultiPaxosConfig {
    return this.governing(slot).config;
  }

  /** The same, with the slot that chose it (the base slot for the base configuration). */
  governing(slot: number): { readonly slot: number; readonly config: MultiPaxosConfig } {
    let found = { slot: this.baseSlot, config: this.base };
    for (const change of this.changes) if (change.slot < slot) found = change;
    return found;
  }

  learn(slot: number, config: MultiPaxosConfig): void {
    if (slot <= this.baseSlot || this.changes.some((change) => change.slot === slot)) return;
    this.changes.push({ slot, config });
    this.changes.sort((a, b) => a.slot - b.slot);
  }

  /** A snapshot through `slot` whose configuration in force is `config`. */
  install(slot: number, config: MultiPaxosConfig): void {
    if (slot < this.baseSlot) return;
    this.base = config;
    this.baseSlot = slot;
    this.forget(slot);
  }

  private forget(slot: number): void {
    while (this.changes.length > 0 && (this.changes[0] as { slot: number }).slot <= slot)
      this.changes.shift();
  }
}
