import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EtcdContext } from './context.js';
import { headerOf, unary } from './context.js';
import type { ProtoObject } from './convert.js';
import { ApiError, notSupported } from './etcd-errors.js';

/**
 * The members as etcd lists them: every member of the configuration, with the name and client URLs
 * it published through the log (an unpublished member has an empty name: etcdctl shows it as
 * "unstarted", as etcd does for a member that never started).
 */
export function memberList(context: EtcdContext): ProtoObject[] {
  const published = context.app.publishedMembers();
  return context.config.members.map((member) => {
    const self = member.nodeId === context.config.self.nodeId;
    const attributes = published.get(member.nodeId);
    return {
      ID: member.memberId.toString(),
      name: self ? context.config.name : (attributes?.name ?? ''),
      peerURLs: member.peerUrls,
      clientURLs: self ? context.config.advertiseClientUrls : (attributes?.clientUrls ?? []),
      isLearner: false,
    };
  });
}

/** etcd's Cluster service: MemberList; membership changes are not wired to the engine yet. */
export function clusterService(context: EtcdContext): UntypedServiceImplementation {
  const refuse = (what: string) => async (): Promise<ProtoObject> => {
    throw new ApiError(notSupported(what));
  };
  return {
    MemberList: unary(context, 'MemberList', async () => ({
      header: headerOf(context, 0),
      members: memberList(context),
    })),
    MemberAdd: unary(context, 'MemberAdd', refuse('adding a member')),
    MemberRemove: unary(context, 'MemberRemove', refuse('removing a member')),
    MemberUpdate: unary(context, 'MemberUpdate', refuse('updating a member')),
    MemberPromote: unary(context, 'MemberPromote', refuse('promoting a learner')),
  };
}
