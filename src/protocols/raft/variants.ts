import type { VariantInfo } from '../../core/protocol.js';

export const RAFT_VARIANTS: readonly VariantInfo[] = [
  {
    name: 'default',
    unsafe: false,
    description: 'Raft with Pre-Vote, CheckQuorum and ReadIndex (etcd-io/raft).',
  },
  {
    name: 'commit-old-term',
    unsafe: true,
    description:
      'Figure 8: a leader commits an entry of an earlier term once a majority stores it, and appends no empty entry on election; a later leader can overwrite the "committed" entry.',
  },
  {
    name: 'vote-without-log-check',
    unsafe: true,
    description:
      'Voters skip the election restriction (§5.4.1): a candidate with a stale log can win and overwrite committed entries.',
  },
  {
    name: 'vote-not-persisted',
    unsafe: true,
    description:
      'The vote is kept in memory only: after a crash a node can vote twice in one term, and two leaders are elected.',
  },
  {
    name: 'no-prevote-disruption',
    unsafe: false,
    description:
      'Liveness, not safety: no Pre-Vote and no CheckQuorum, so a node rejoining after a partition bumps the term and deposes a healthy leader.',
  },
];

export type RaftVariant =
  | 'default'
  | 'commit-old-term'
  | 'vote-without-log-check'
  | 'vote-not-persisted'
  | 'no-prevote-disruption';

export function isRaftVariant(name: string): name is RaftVariant {
  return RAFT_VARIANTS.some((variant) => variant.name === name);
}
