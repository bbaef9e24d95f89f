import type { LiveMember, LiveState } from '../core/live-state-format.js';
import { LIVE_STATE_VERSION } from '../core/live-state-format.js';
import { idToHex } from './cluster-ids.js';
import type { NodeConfig } from './config.js';
import type { NodeRuntime } from './node.js';

export type { LiveMember, LiveState } from '../core/live-state-format.js';
export {
  LIVE_STATE_PATH,
  LIVE_STATE_STREAM_PATH,
  LIVE_STATE_VERSION,
} from '../core/live-state-format.js';

export function liveState<Op, Res>(config: NodeConfig, runtime: NodeRuntime<Op, Res>): LiveState {
  const members = config.members.map(liveMember);
  const byNodeId = new Map(members.map((member) => [member.nodeId, member]));
  const description = runtime.engine.describe();
  const metrics = runtime.metrics();
  const leaderId = runtime.leader();
  return {
    version: LIVE_STATE_VERSION,
    member: liveMember(config.self),
    members,
    clusterId: idToHex(config.clusterId),
    engine: config.engine,
    role: description.inspection.role,
    term: runtime.engine.term(),
    leader: leaderId === undefined ? null : (byNodeId.get(leaderId) ?? null),
    committedIndex: metrics.committedIndex,
    appliedIndex: metrics.appliedIndex,
    log: { firstIndex: description.firstIndex, lastIndex: description.lastIndex },
    followers: description.followers.flatMap((follower) => {
      const member = byNodeId.get(follower.nodeId);
      return member === undefined
        ? []
        : [{ ...member, match: follower.match, next: follower.next }];
    }),
    inspection: description.inspection,
    messages: runtime.messageCounts.snapshot(),
    startedAtMs: runtime.startedAtMs,
    timestampMs: Date.now(),
  };
}

function liveMember(member: NodeConfig['self']): LiveMember {
  return { name: member.name, id: idToHex(member.memberId), nodeId: member.nodeId };
}
