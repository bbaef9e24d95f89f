import { assert } from '../core/assert.js';
import type { NodeId } from '../core/ids.js';
import { NODE_ID_MAX } from '../core/ids.js';

/**
 * One member as the replicated membership records it (etcd's membership.Member): the engine's node
 * id, etcd's member id (uint64, as a decimal string so the state stays JSON), the peer URLs, whether
 * it is a learner, and the name and client URLs it published when it started (empty until then:
 * etcdctl shows such a member as "unstarted").
 */
export interface MemberRecord {
  readonly nodeId: NodeId;
  readonly memberId: string;
  readonly peerUrls: readonly string[];
  readonly isLearner: boolean;
  readonly name: string;
  readonly clientUrls: readonly string[];
}

/**
 * The cluster's membership, part of the replicated state: applied from the log on every member and
 * carried in snapshots, so every member lists the same members and a restart restores them.
 * `removed` ids never come back (etcd's `removed` map); node ids are never reused.
 */
export interface MembershipState {
  readonly members: readonly MemberRecord[];
  readonly removed: readonly { readonly nodeId: NodeId; readonly memberId: string }[];
  readonly nextNodeId: NodeId;
}

/** The membership ops that go through the log. */
export type MembershipOp =
  | {
      readonly type: 'memberAdd';
      readonly request: {
        readonly memberId: string;
        readonly peerUrls: readonly string[];
        readonly isLearner: boolean;
      };
    }
  | { readonly type: 'memberRemove'; readonly request: { readonly memberId: string } }
  | {
      readonly type: 'memberUpdate';
      readonly request: { readonly memberId: string; readonly peerUrls: readonly string[] };
    }
  | { readonly type: 'memberPromote'; readonly request: { readonly memberId: string } }
  | {
      readonly type: 'publish';
      readonly request: {
        readonly nodeId: NodeId;
        readonly name: string;
        readonly clientUrls: readonly string[];
      };
    };

/** Why a membership op was refused: each maps to one of etcd's errors. */
export type MembershipRefusal =
  | 'member-exists'
  | 'peer-url-exists'
  | 'member-not-found'
  | 'member-removed'
  | 'not-learner'
  | 'too-many-learners'
  | 'node-ids-exhausted';

export type MembershipOutcome =
  | { readonly ok: true; readonly state: MembershipState; readonly member?: MemberRecord }
  | { readonly ok: false; readonly refusal: MembershipRefusal };

/** etcd 3.4 allows one learner at a time (membership.maxLearners). */
export const LEARNERS_MAX = 1;

export function isMembershipOp(op: { readonly type: string }): op is MembershipOp {
  return (
    op.type === 'memberAdd' ||
    op.type === 'memberRemove' ||
    op.type === 'memberUpdate' ||
    op.type === 'memberPromote' ||
    op.type === 'publish'
  );
}

/** The membership a new cluster starts from: its initial members, none started yet. */
export function bootstrapMembership(
  members: readonly {
    readonly nodeId: NodeId;
    readonly memberId: string;
    readonly peerUrls: readonly string[];
  }[],
): MembershipState {
  const records = members.map((member) => ({
    nodeId: member.nodeId,
    memberId: member.memberId,
    peerUrls: [...member.peerUrls],
    isLearner: false,
    name: '',
    clientUrls: [],
  }));
  const nextNodeId = Math.max(-1, ...records.map((member) => member.nodeId)) + 1;
  return { members: sortByNodeId(records), removed: [], nextNodeId };
}

/**
 * Applies one membership op: deterministic, so every member reaches the same state from the same
 * log. The checks are etcd's ValidateConfigurationChange, done here rather than before proposing
 * because two concurrent requests can each pass a check the other invalidates.
 */
export function applyMembershipOp(state: MembershipState, op: MembershipOp): MembershipOutcome {
  switch (op.type) {
    case 'memberAdd': {
      const { memberId, peerUrls, isLearner } = op.request;
      if (state.removed.some((member) => member.memberId === memberId))
        return refuse('member-removed');
      if (findMember(state, memberId) !== undefined) return refuse('member-exists');
      if (peerUrlTaken(state, peerUrls, undefined)) return refuse('peer-url-exists');
      if (isLearner && state.members.filter((m) => m.isLearner).length + 1 > LEARNERS_MAX)
        return refuse('too-many-learners');
      if (state.nextNodeId > NODE_ID_MAX) return refuse('node-ids-exhausted');
      const member: MemberRecord = {
        nodeId: state.nextNodeId,
        memberId,
        peerUrls: [...peerUrls],
        isLearner,
        name: '',
        clientUrls: [],
      };
      return accept(
        {
          ...state,
          members: sortByNodeId([...state.members, member]),
          nextNodeId: member.nodeId + 1,
        },
        member,
      );
    }
    case 'memberRemove': {
      const member = findMember(state, op.request.memberId);
      if (member === undefined)
        return refuse(
          isRemoved(state, op.request.memberId) ? 'member-removed' : 'member-not-found',
        );
      return accept(
        {
          ...state,
          members: state.members.filter((each) => each !== member),
          removed: [...state.removed, { nodeId: member.nodeId, memberId: member.memberId }],
        },
        member,
      );
    }
    case 'memberUpdate': {
      const member = findMember(state, op.request.memberId);
      if (member === undefined)
        return refuse(
          isRemoved(state, op.request.memberId) ? 'member-removed' : 'member-not-found',
        );
      if (peerUrlTaken(state, op.request.peerUrls, member.memberId))
        return refuse('peer-url-exists');
      return replace(state, member, { ...member, peerUrls: [...op.request.peerUrls] });
    }
    case 'memberPromote': {
      const member = findMember(state, op.request.memberId);
      if (member === undefined)
        return refuse(
          isRemoved(state, op.request.memberId) ? 'member-removed' : 'member-not-found',
        );
      if (!member.isLearner) return refuse('not-learner');
      return replace(state, member, { ...member, isLearner: false });
    }
    case 'publish': {
      const member = state.members.find((each) => each.nodeId === op.request.nodeId);
      // etcd ignores attributes of a removed member: it may publish before it learns of it.
      if (member === undefined) return refuse('member-not-found');
      return replace(state, member, {
        ...member,
        name: op.request.name,
        clientUrls: [...op.request.clientUrls],
      });
    }
  }
}

export function findMember(state: MembershipState, memberId: string): MemberRecord | undefined {
  return state.members.find((member) => member.memberId === memberId);
}

export function memberOfNode(state: MembershipState, nodeId: NodeId): MemberRecord | undefined {
  return state.members.find((member) => member.nodeId === nodeId);
}

export function isRemoved(state: MembershipState, memberId: string): boolean {
  return state.removed.some((member) => member.memberId === memberId);
}

export function isNodeRemoved(state: MembershipState, nodeId: NodeId): boolean {
  return state.removed.some((member) => member.nodeId === nodeId);
}

/** etcd's Member.IsStarted: a member that published its name. */
export function isStarted(member: MemberRecord): boolean {
  return member.name.length > 0;
}

/** The engine configuration the membership calls for: voters and learners by node id. */
export function engineTarget(state: MembershipState): {
  voters: NodeId[];
  learners: NodeId[];
} {
  return {
    voters: state.members.filter((member) => !member.isLearner).map((member) => member.nodeId),
    learners: state.members.filter((member) => member.isLearner).map((member) => member.nodeId),
  };
}

/**
 * etcd's strict reconfiguration check for adding a voter (RaftCluster.IsReadyToAddVotingMember):
 * the started voters must stay a quorum of the voters once the new one is counted; a one-member
 * cluster may always grow to two (restoring from a backup starts that way).
 */
export function readyToAddVoter(state: MembershipState): boolean {
  const voters = state.members.filter((member) => !member.isLearner);
  const started = voters.filter(isStarted).length;
  const total = voters.length + 1;
  if (started === 1 && total === 2) return true;
  return started >= Math.floor(total / 2) + 1;
}

/** etcd's IsReadyToRemoveVotingMember: the started voters left must be a quorum of those left. */
export function readyToRemoveVoter(state: MembershipState, memberId: string): boolean {
  const rest = state.members.filter((member) => !member.isLearner && member.memberId !== memberId);
  const started = rest.filter(isStarted).length;
  return started >= Math.floor(rest.length / 2) + 1;
}

/**
 * etcd's IsReadyToPromoteMember: the started voters stay a quorum once the learner is a voter (the
 * learner counts as started: it is in sync, or the promotion was refused before this check).
 */
export function readyToPromote(state: MembershipState): boolean {
  const voters = state.members.filter((member) => !member.isLearner);
  const started = voters.filter(isStarted).length + 1;
  const total = voters.length + 1;
  return started >= Math.floor(total / 2) + 1;
}

/** Checks a snapshot's membership part; throws on anything malformed (a snapshot is trusted data). */
export function assertMembershipState(value: unknown): asserts value is MembershipState {
  assert(typeof value === 'object' && value !== null, 'membership is an object');
  const state = value as Record<string, unknown>;
  assert(Array.isArray(state.members), 'membership lists members');
  assert(Array.isArray(state.removed), 'membership lists removed members');
  assert(Number.isInteger(state.nextNodeId), 'membership has the next node id');
}

function peerUrlTaken(
  state: MembershipState,
  peerUrls: readonly string[],
  except: string | undefined,
): boolean {
  return state.members.some(
    (member) => member.memberId !== except && member.peerUrls.some((url) => peerUrls.includes(url)),
  );
}

function replace(
  state: MembershipState,
  before: MemberRecord,
  after: MemberRecord,
): MembershipOutcome {
  return accept(
    { ...state, members: state.members.map((member) => (member === before ? after : member)) },
    after,
  );
}

function accept(state: MembershipState, member: MemberRecord): MembershipOutcome {
  return { ok: true, state, member };
}

function refuse(refusal: MembershipRefusal): MembershipOutcome {
  return { ok: false, refusal };
}

function sortByNodeId(members: MemberRecord[]): MemberRecord[] {
  return members.sort((a, b) => a.nodeId - b.nodeId);
}
