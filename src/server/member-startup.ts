import { SynodError } from '../core/errors.js';
import type { NodeConfig } from './config.js';
import { type EngineFactory, SERVER_ENGINES } from './engines.js';
import { joinRunningCluster } from './join.js';
import type { ServerLogger } from './logger.js';
import type { MemberIdentity } from './member-identity.js';
import { hasWal, identityFromFlags, readIdentity, writeIdentity } from './member-identity.js';
import type { MemberRecord } from './membership.js';
import { addressesOf } from './urls.js';

/**
 * Who this member is, decided once at start as etcd does: a data directory that holds a member
 * resumes it (the `--initial-*` flags are then ignored); otherwise `--initial-cluster-state new`
 * bootstraps from the flags, and `existing` asks the running cluster (`join.ts`).
 */
export async function resolveIdentity(
  config: NodeConfig,
  engine: EngineFactory,
  logger: ServerLogger,
): Promise<{ identity: MemberIdentity; members: readonly MemberRecord[] | undefined }> {
  const kept = await readIdentity(config.dataDir);
  if (kept !== undefined) {
    if (kept.name !== config.name)
      throw new SynodError(
        'SERVER_BAD_FLAG',
        `--name is "${config.name}", but the data directory ${config.dataDir} belongs to member "${kept.name}"`,
      );
    if (kept.joined && !engine.canChangeMembership) throw cannotJoin(engine);
    logger.info('resuming the member kept in the data directory; --initial-* flags are not used', {
      memberId: BigInt(kept.memberId).toString(16),
    });
    return { identity: kept, members: undefined };
  }
  if (config.initialClusterState === 'existing') {
    if (!engine.canChangeMembership) throw cannotJoin(engine);
    if (await hasWal(config.dataDir))
      throw new SynodError(
        'SERVER_BAD_DATA_DIR',
        `--initial-cluster-state existing: ${config.dataDir} already holds a log of another ` +
          'cluster member; a joining member starts with an empty data directory',
      );
    const joined = await joinRunningCluster(config, logger);
    await writeIdentity(config.dataDir, joined.identity);
    logger.info('joining the running cluster', {
      memberId: BigInt(joined.identity.memberId).toString(16),
      clusterId: BigInt(joined.identity.clusterId).toString(16),
    });
    return joined;
  }
  // A new cluster, or a data directory from before identities were kept: the flags say it all.
  const identity = identityFromFlags(config);
  await writeIdentity(config.dataDir, identity);
  return { identity, members: undefined };
}

function cannotJoin(engine: EngineFactory): SynodError {
  const able = SERVER_ENGINES.filter((each) => each.canChangeMembership).map((each) => each.name);
  return new SynodError(
    'SERVER_BAD_FLAG',
    `--initial-cluster-state existing: the ${engine.name} engine cannot change its membership, ` +
      `so no member can join a running cluster (engines that can: ${able.join(', ')})`,
  );
}

/** The configuration with this member's ids as its identity gives them. */
export function withIdentity(config: NodeConfig, identity: MemberIdentity): NodeConfig {
  const peerUrls = config.self.peerUrls;
  return {
    ...config,
    clusterId: BigInt(identity.clusterId),
    self: {
      name: config.name,
      nodeId: identity.nodeId,
      memberId: BigInt(identity.memberId),
      peerUrls,
      peerAddresses: addressesOf('--initial-advertise-peer-urls', peerUrls),
    },
  };
}
