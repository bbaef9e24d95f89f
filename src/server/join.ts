import { SynodError } from '../core/errors.js';
import { queryPeer } from '../transport/peer-query.js';
import type { NodeConfig } from './config.js';
import type { ServerLogger } from './logger.js';
import type { MemberIdentity } from './member-identity.js';
import type { MemberRecord, MembershipState } from './membership.js';
import { assertMembershipState, isStarted } from './membership.js';

/** The query a joining member sends to a member's peer port, and what it answers. */
export const MEMBERS_QUERY = { type: 'members' } as const;

export interface MembersAnswer {
  readonly clusterId: string;
  readonly membership: MembershipState;
  readonly bootstrap: MemberIdentity['bootstrap'];
}

/** The answer a running member gives to `MEMBERS_QUERY`. */
export function membersAnswer(
  identity: MemberIdentity,
  membership: MembershipState,
): Record<string, unknown> {
  const answer: MembersAnswer = {
    clusterId: identity.clusterId,
    membership,
    bootstrap: identity.bootstrap,
  };
  return answer as unknown as Record<string, unknown>;
}

const QUERY_TIMEOUT_MS = 3000;
const QUERY_ROUNDS = 3;

function bad(message: string): SynodError {
  return new SynodError('SERVER_BAD_FLAG', message);
}

/**
 * `--initial-cluster-state existing` (etcd's GetClusterFromRemotePeers and
 * ValidateClusterAndAssignIDs): asks the other members listed in `--initial-cluster` for the
 * membership, checks that the flags list exactly its members' peer URLs, and takes this member's
 * ids from the entry `etcdctl member add` created. Returns the identity to keep and the members,
 * whose peer addresses the transport dials before the log tells it more.
 */
export async function joinRunningCluster(
  config: NodeConfig,
  logger: ServerLogger,
): Promise<{ identity: MemberIdentity; members: readonly MemberRecord[] }> {
  const others = config.members.filter((member) => member.name !== config.name);
  if (others.length === 0)
    throw bad(
      '--initial-cluster-state existing: --initial-cluster lists no other member to join ' +
        '(use the ETCD_INITIAL_CLUSTER line that etcdctl member add printed)',
    );
  const failures: string[] = [];
  let answer: MembersAnswer | undefined;
  for (let round = 0; round < QUERY_ROUNDS && answer === undefined; round++) {
    for (const member of others) {
      for (const [index, address] of member.peerAddresses.entries()) {
        try {
          answer = validAnswer(
            await queryPeer(address, MEMBERS_QUERY, {
              timeoutMs: QUERY_TIMEOUT_MS,
              frameBytesMax: 16 * 1024 * 1024,
              tls: config.peerTls,
            }),
          );
          logger.info('fetched the membership from a running member', { from: member.name });
          break;
        } catch (error) {
          failures.push(`${member.name} (${member.peerUrls[index]}): ${(error as Error).message}`);
        }
      }
      if (answer !== undefined) break;
    }
  }
  if (answer === undefined)
    throw new SynodError(
      'SERVER_JOIN_FAILED',
      `--initial-cluster-state existing: could not fetch the membership from any member:\n  ${failures.join('\n  ')}`,
    );
  const members = answer.membership.members;
  checkSameMembers(config, members);
  const mine = sortedKey(config.self.peerUrls);
  const self = members.find((member) => sortedKey(member.peerUrls) === mine) as MemberRecord;
  if (isStarted(self))
    throw bad(
      `member ${config.name} (peer URLs ${config.self.peerUrls.join(',')}) has already been ` +
        `started in this cluster as "${self.name}"; a started member restarts from its data ` +
        'directory, or is removed and added again',
    );
  return {
    identity: {
      version: 1,
      name: config.name,
      nodeId: self.nodeId,
      memberId: self.memberId,
      clusterId: answer.clusterId,
      joined: true,
      bootstrap: answer.bootstrap,
    },
    members,
  };
}

function validAnswer(value: Record<string, unknown>): MembersAnswer {
  if (typeof value.error === 'string') throw new Error(value.error);
  if (typeof value.clusterId !== 'string' || !Array.isArray(value.bootstrap))
    throw new Error('the answer is not a membership');
  assertMembershipState(value.membership);
  return value as unknown as MembersAnswer;
}

function sortedKey(urls: readonly string[]): string {
  return [...urls].sort().join(',');
}

/** etcd refuses to join when the flags and the cluster disagree on who the members are. */
function checkSameMembers(config: NodeConfig, members: readonly MemberRecord[]): void {
  const local = new Set(config.members.map((member) => sortedKey(member.peerUrls)));
  const remote = new Set(members.map((member) => sortedKey(member.peerUrls)));
  const onlyLocal = [...local].filter((key) => !remote.has(key));
  const onlyRemote = [...remote].filter((key) => !local.has(key));
  if (onlyLocal.length === 0 && onlyRemote.length === 0) return;
  const parts: string[] = [];
  if (onlyLocal.length > 0)
    parts.push(
      `--initial-cluster lists peer URLs the cluster does not have: ${onlyLocal.join('; ')}`,
    );
  if (onlyRemote.length > 0)
    parts.push(`the cluster has members --initial-cluster leaves out: ${onlyRemote.join('; ')}`);
  throw bad(
    `--initial-cluster-state existing: ${parts.join('; and ')}. Add this member first with ` +
      '"etcdctl member add", then start it with the ETCD_INITIAL_CLUSTER it printed',
  );
}
