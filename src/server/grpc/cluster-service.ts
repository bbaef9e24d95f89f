import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { memberIdOf } from '../cluster-ids.js';
import type {
  EtcdApplication,
  MembershipResponse,
  ServerOp,
  ServerResult,
} from '../etcd-application.js';
import type { MemberRecord, MembershipState } from '../membership.js';
import { findMember, readyToAddVoter, readyToPromote, readyToRemoveVoter } from '../membership.js';
import type { NodeRuntime } from '../node.js';
import type { EtcdContext } from './context.js';
import { headerOf, propose, unary } from './context.js';
import type { ProtoObject } from './convert.js';
import { ApiError, EtcdErrors } from './etcd-errors.js';
import type { GrpcFailure } from './etcd-errors.js';

/** etcd's HealthInterval: a peer counts as healthy once connected this long. */
const HEALTH_INTERVAL_MS = 5000;
/** etcd's readyPercent: a learner is in sync once its log holds 90 % of the leader's. */
const LEARNER_READY_FRACTION = 0.9;

/** The member as etcd's `Member` message gives it. */
function memberProto(context: EtcdContext, member: MemberRecord): ProtoObject {
  // This member shows its own attributes even before its publish entry applies.
  const self = member.nodeId === context.config.self.nodeId;
  return {
    ID: member.memberId,
    name: self ? context.config.name : member.name,
    peerURLs: member.peerUrls,
    clientURLs: self ? context.config.advertiseClientUrls : member.clientUrls,
    isLearner: member.isLearner,
  };
}

/**
 * The members as etcd lists them: every member of the replicated membership, with the name and
 * client URLs it published through the log (one that never started has an empty name: etcdctl
 * shows it as "unstarted", as etcd does).
 */
export function memberList(context: EtcdContext): ProtoObject[] {
  return context.app.membership().members.map((member) => memberProto(context, member));
}

/** etcd's Cluster service: the membership, changed through the log and the engine's reconfiguration. */
export function clusterService(context: EtcdContext): UntypedServiceImplementation {
  return {
    MemberList: unary(context, 'MemberList', async () => ({
      header: headerOf(context, 0),
      members: memberList(context),
    })),
    MemberAdd: unary(context, 'MemberAdd', async (request) => {
      requireMembershipChanges(context, 'add a member');
      const peerUrls = validPeerUrls(context, request.peerURLs);
      const isLearner = request.isLearner === true;
      const membership = context.app.membership();
      // etcd's strict reconfiguration check (mayAddMember), unless --strict-reconfig-check=false.
      if (context.config.strictReconfigCheck) {
        if (!isLearner && !readyToAddVoter(membership)) throw new ApiError(NOT_ENOUGH_STARTED);
        if (!connectedToAllVoters(context, membership)) throw new ApiError(UNHEALTHY);
      }
      // etcd's NewMember: SHA-1 of the sorted peer URLs and the time in seconds, so adding the
      // same URLs again later gets a new id (a member removed can come back as a new one).
      const memberId = memberIdOf(peerUrls, String(Math.floor(Date.now() / 1000))).toString();
      const result = await propose(context, {
        type: 'memberAdd',
        request: { memberId, peerUrls, isLearner },
      });
      const response = result.response as MembershipResponse;
      return {
        header: headerOf(context, 0),
        member: memberProto(context, response.member as MemberRecord),
        members: response.members.map((member) => memberProto(context, member)),
      };
    }),
    MemberRemove: unary(context, 'MemberRemove', async (request) => {
      requireMembershipChanges(context, 'remove a member');
      const memberId = memberIdOfRequest(request);
      const membership = context.app.membership();
      const member = findMember(membership, memberId);
      if (member === undefined) throw new ApiError(EtcdErrors.memberNotFound);
      if (!member.isLearner && context.config.strictReconfigCheck)
        mayRemoveVoter(context, membership, member);
      const result = await propose(context, { type: 'memberRemove', request: { memberId } });
      return membershipReply(context, result.response as MembershipResponse);
    }),
    MemberUpdate: unary(context, 'MemberUpdate', async (request) => {
      // Only the peer URLs change: every engine can follow that (the transport redials).
      const memberId = memberIdOfRequest(request);
      const peerUrls = validPeerUrls(context, request.peerURLs);
      const result = await propose(context, {
        type: 'memberUpdate',
        request: { memberId, peerUrls },
      });
      return membershipReply(context, result.response as MembershipResponse);
    }),
    MemberPromote: unary(context, 'MemberPromote', async (request) => {
      requireMembershipChanges(context, 'promote a learner');
      const memberId = memberIdOfRequest(request);
      const membership = context.app.membership();
      const member = findMember(membership, memberId);
      if (member === undefined) throw new ApiError(EtcdErrors.memberNotFound);
      if (!member.isLearner) throw new ApiError(NOT_LEARNER);
      if (context.config.strictReconfigCheck && !readyToPromote(membership))
        throw new ApiError(NOT_ENOUGH_STARTED);
      // The leader checks that the learner is in sync (forwarded there by the runtime).
      const result = await propose(context, { type: 'memberPromote', request: { memberId } });
      return membershipReply(context, result.response as MembershipResponse);
    }),
  };
}

const NOT_ENOUGH_STARTED: GrpcFailure = {
  code: status.FAILED_PRECONDITION,
  details: 'etcdserver: re-configuration failed due to not enough started members',
};
const UNHEALTHY: GrpcFailure = {
  code: status.UNAVAILABLE,
  details: 'etcdserver: unhealthy cluster',
};
const NOT_LEARNER: GrpcFailure = {
  code: status.FAILED_PRECONDITION,
  details: 'etcdserver: can only promote a learner member',
};
const BAD_URLS: GrpcFailure = {
  code: status.INVALID_ARGUMENT,
  details: 'etcdserver: given member URLs are invalid',
};

function membershipReply(context: EtcdContext, response: MembershipResponse): ProtoObject {
  return {
    header: headerOf(context, 0),
    members: response.members.map((member) => memberProto(context, member)),
  };
}

function requireMembershipChanges(context: EtcdContext, what: string): void {
  if (context.runtime.engine.membership !== undefined) return;
  throw new ApiError({
    code: status.FAILED_PRECONDITION,
    details:
      `synod: cannot ${what}: the ${context.config.engine} engine cannot change its membership ` +
      '(its members are fixed at start); run the cluster with --engine raft',
  });
}

function memberIdOfRequest(request: ProtoObject): string {
  const id = request.ID;
  if (typeof id !== 'string' || !/^\d+$/.test(id) || id === '0')
    throw new ApiError(EtcdErrors.memberNotFound);
  return BigInt(id).toString();
}

/**
 * etcd's types.NewURLs: each peer URL an absolute http(s) URL with host and port and no path.
 * Refused as etcd does (INVALID_ARGUMENT, `given member URLs are invalid`). A scheme other than the
 * cluster's (https where members talk plain TCP, or http where they talk TLS) is refused with its
 * own message: every member dials with one transport, so the new member could never be reached.
 */
function validPeerUrls(context: EtcdContext, value: unknown): string[] {
  const scheme = context.config.peerTls === undefined ? 'http:' : 'https:';
  if (!Array.isArray(value) || value.length === 0) throw new ApiError(BAD_URLS);
  const urls = value.map((each) => String(each));
  for (const text of urls) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new ApiError(BAD_URLS);
    }
    if (url.protocol !== scheme && (url.protocol === 'http:' || url.protocol === 'https:'))
      throw new ApiError({
        code: status.INVALID_ARGUMENT,
        details:
          `synod: peer URL ${text} is ${url.protocol.slice(0, -1)}, but this cluster's members ` +
          `talk ${scheme === 'https:' ? 'TLS (https)' : 'plain TCP (http)'}; use ${scheme}//`,
      });
    const pathless = url.pathname === '/' || url.pathname === '';
    if (url.protocol !== scheme || url.port === '' || !pathless || url.search !== '')
      throw new ApiError(BAD_URLS);
  }
  return urls;
}

/** Whether this member has been connected to every other voter for etcd's health interval. */
function connectedToAllVoters(context: EtcdContext, membership: MembershipState): boolean {
  return membership.members
    .filter((member) => !member.isLearner)
    .every((member) => connectedLongEnough(context, member));
}

function connectedLongEnough(context: EtcdContext, member: MemberRecord): boolean {
  if (member.nodeId === context.config.self.nodeId) return true;
  const since = context.runtime.activeSince(member.nodeId);
  return since !== undefined && since <= Date.now() - HEALTH_INTERVAL_MS;
}

/** etcd's mayRemoveMember for a voter: a started quorum must remain, and a healthy one. */
function mayRemoveVoter(
  context: EtcdContext,
  membership: MembershipState,
  member: MemberRecord,
): void {
  if (!readyToRemoveVoter(membership, member.memberId)) throw new ApiError(NOT_ENOUGH_STARTED);
  // A member this one cannot reach is safe to remove: it is not part of the active quorum.
  const self = member.nodeId === context.config.self.nodeId;
  if (!self && context.runtime.activeSince(member.nodeId) === undefined) return;
  const voters = membership.members.filter((each) => !each.isLearner);
  const active = voters.filter((each) => connectedLongEnough(context, each)).length;
  if (active - 1 < 1 + Math.floor((voters.length - 1) / 2)) throw new ApiError(UNHEALTHY);
}

/** Ops the leader must check before proposing them. */
export function needsLeaderCheck(op: ServerOp): boolean {
  return op.type === 'memberPromote';
}

/**
 * At the leader (etcd's isLearnerReady): a learner is promoted only once its log holds 90 % of
 * the leader's; otherwise the promotion is refused without being proposed.
 */
export function learnerCheck(
  runtime: NodeRuntime<ServerOp, ServerResult>,
  app: EtcdApplication,
  op: ServerOp,
): ServerResult | undefined {
  if (op.type !== 'memberPromote') return undefined;
  const membership = runtime.engine.membership;
  const member = findMember(app.membership(), op.request.memberId);
  if (membership === undefined || member === undefined) return undefined; // apply refuses it
  const learnerMatch = membership.matchOf(member.nodeId) ?? 0;
  const leaderMatch = membership.matchOf(runtime.nodeId) ?? 0;
  if (learnerMatch >= leaderMatch * LEARNER_READY_FRACTION) return undefined;
  return {
    ok: false,
    error: {
      code: 'FailedPrecondition',
      message: 'etcdserver: can only promote a learner member which is in sync with leader',
    },
  };
}
