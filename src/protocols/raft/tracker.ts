import type { NodeId } from '../../core/ids.js';
import type { QuorumSystem, VoteResult } from '../../core/quorum.js';
import { type RaftConfig, allMembers, isVoter, quorumOf } from './config.js';
import { Progress } from './progress.js';

function soleVoterOf(quorum: QuorumSystem): NodeId | undefined {
  const [only] = quorum.voters;
  return quorum.voters.length === 1 && quorum.isQuorum(new Set([only!])) ? only : undefined;
}

/**
 * The configuration in force, its quorum system, the leader's per-member progress and a
 * candidate's votes (etcd's tracker.ProgressTracker).
 */
export class Tracker {
  config: RaftConfig;
  quorum: QuorumSystem;
  readonly progress = new Map<NodeId, Progress>();
  private readonly granted = new Set<NodeId>();
  private readonly rejected = new Set<NodeId>();

  private soleVoter: NodeId | undefined;

  constructor(
    config: RaftConfig,
    private readonly inflightMax: number,
    private readonly inflightBytesMax = 0,
  ) {
    this.config = config;
    this.quorum = quorumOf(config);
    this.soleVoter = soleVoterOf(this.quorum);
  }

  setConfig(config: RaftConfig): void {
    this.config = config;
    this.quorum = quorumOf(config);
    this.soleVoter = soleVoterOf(this.quorum);
  }

  /** Fresh progress for every member (a new leader): nothing known to match, probe from the end. */
  resetProgress(lastIndex: number, self: NodeId): void {
    this.progress.clear();
    for (const id of allMembers(this.config)) this.addProgress(id, lastIndex, self);
  }

  /** Brings the progress map in line with a new configuration, keeping what is known. */
  syncProgress(lastIndex: number, self: NodeId): void {
    const members = allMembers(this.config);
    for (const id of [...this.progress.keys()]) if (!members.includes(id)) this.progress.delete(id);
    for (const id of members) if (!this.progress.has(id)) this.addProgress(id, lastIndex, self);
  }

  private addProgress(id: NodeId, lastIndex: number, self: NodeId): void {
    const progress = new Progress(lastIndex + 1, this.inflightMax, this.inflightBytesMax);
    if (id === self) {
      progress.match = lastIndex;
      progress.becomeReplicate();
    }
    this.progress.set(id, progress);
  }

  /** The highest index stored by a quorum (the leader's own match counts). */
  committedIndex(): number {
    const acked = new Map<NodeId, number>();
    for (const [id, progress] of this.progress) acked.set(id, progress.match);
    return this.quorum.committedIndex(acked);
  }

  /** Whether `id` alone is a quorum (a one-voter cluster). */
  isSoleQuorum(id: NodeId): boolean {
    return this.soleVoter === id;
  }

  isVoter(id: NodeId): boolean {
    return isVoter(this.config, id);
  }

  resetVotes(): void {
    this.granted.clear();
    this.rejected.clear();
  }

  recordVote(id: NodeId, granted: boolean): VoteResult {
    if (!this.granted.has(id) && !this.rejected.has(id))
      (granted ? this.granted : this.rejected).add(id);
    return this.voteResult();
  }

  voteResult(): VoteResult {
    return this.quorum.voteResult(this.granted, this.rejected);
  }

  /** CheckQuorum: whether a quorum was heard from since the last round; clears the marks. */
  quorumActive(self: NodeId): boolean {
    const active = new Set<NodeId>([self]);
    for (const [id, progress] of this.progress) {
      if (progress.recentActive) active.add(id);
      if (id !== self) progress.recentActive = false;
    }
    return this.quorum.isQuorum(active);
  }
}
