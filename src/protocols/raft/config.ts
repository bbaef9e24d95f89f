import { assert } from '../../core/assert.js';
import type { NodeId } from '../../core/ids.js';
import { JointQuorum, type QuorumSystem, majorityQuorum } from '../../core/quorum.js';

/**
 * A cluster configuration. Outside a change `outgoing` is empty. During joint consensus (§6 of the
 * dissertation, Figure 11 of the paper) `voters` is the new set and `outgoing` the old, and every
 * decision needs a majority of each; `learnersNext` are the learners of the final configuration.
 */
export interface RaftConfig {
  readonly voters: readonly NodeId[];
  readonly outgoing: readonly NodeId[];
  readonly learners: readonly NodeId[];
  readonly learnersNext: readonly NodeId[];
}

/** What a caller asks for: the voters and learners of the configuration to end in. */
export interface ConfigTarget {
  readonly voters: readonly NodeId[];
  readonly learners?: readonly NodeId[];
}

export const EMPTY_CONFIG: RaftConfig = {
  voters: [],
  outgoing: [],
  learners: [],
  learnersNext: [],
};

function sorted(ids: Iterable<NodeId>): NodeId[] {
  return [...new Set(ids)].sort((a, b) => a - b);
}

export function initialConfig(members: readonly NodeId[]): RaftConfig {
  return { voters: sorted(members), outgoing: [], learners: [], learnersNext: [] };
}

export function isJoint(config: RaftConfig): boolean {
  return config.outgoing.length > 0;
}

export function quorumOf(config: RaftConfig): QuorumSystem {
  const incoming = majorityQuorum(config.voters);
  return isJoint(config) ? new JointQuorum(incoming, majorityQuorum(config.outgoing)) : incoming;
}

/** Voters of either half of a joint configuration. */
export function allVoters(config: RaftConfig): NodeId[] {
  return sorted([...config.voters, ...config.outgoing]);
}

/** Everyone the leader replicates to: voters of both halves and learners. */
export function allMembers(config: RaftConfig): NodeId[] {
  return sorted([...config.voters, ...config.outgoing, ...config.learners]);
}

export function isVoter(config: RaftConfig, id: NodeId): boolean {
  return config.voters.includes(id) || config.outgoing.includes(id);
}

function symmetricDifference(a: readonly NodeId[], b: readonly NodeId[]): number {
  return a.filter((id) => !b.includes(id)).length + b.filter((id) => !a.includes(id)).length;
}

/**
 * The configuration the next config entry carries. Changing at most one voter is safe in one step
 * (any majority of the old and the new sets intersect); anything bigger goes through a joint
 * configuration, which the leader leaves automatically once it commits. Returns an error text when
 * the target is not a valid configuration.
 */
export function nextConfig(current: RaftConfig, target: ConfigTarget): RaftConfig | string {
  assert(!isJoint(current), 'a change starts only from a simple configuration');
  const voters = sorted(target.voters);
  const learners = sorted(target.learners ?? []).filter((id) => !voters.includes(id));
  if (voters.length === 0) return 'a configuration needs at least one voter';
  if (symmetricDifference(current.voters, voters) <= 1)
    return { voters, outgoing: [], learners, learnersNext: [] };
  // A voter of the old set that becomes a learner stays a voter of the outgoing half until the
  // joint configuration is left, so it is a learner only in `learnersNext` (etcd's rule).
  const learnersNow = learners.filter((id) => !current.voters.includes(id));
  return { voters, outgoing: current.voters, learners: learnersNow, learnersNext: learners };
}

/** The simple configuration that ends a joint one. */
export function leaveJoint(config: RaftConfig): RaftConfig {
  assert(isJoint(config), 'only a joint configuration can be left');
  return { voters: config.voters, outgoing: [], learners: config.learnersNext, learnersNext: [] };
}

export function describeConfig(config: RaftConfig): string {
  const learners = config.learners.length > 0 ? ` learners {${config.learners.join(',')}}` : '';
  return isJoint(config)
    ? `joint {${config.voters.join(',')}} & {${config.outgoing.join(',')}}${learners}`
    : `{${config.voters.join(',')}}${learners}`;
}
