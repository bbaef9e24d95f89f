import { SynodError } from '../../core/errors.js';
import type { ProtocolDefinition } from '../../core/protocol.js';
import { createReplicationChecker } from './invariants.js';
import type { ReplicationMessage, ReplicationRecord } from './messages.js';
import { type ReplicationNode, createReplicationNode } from './node.js';
import { REPLICATION_VARIANTS, isReplicationVariant } from './options.js';

/**
 * The replication strategies of seed 002 as one protocol with a variant per strategy, so that
 * `synod variants` lists them as one table in the order the seed derives them, and the same
 * workload runs on each by changing `--variant` alone (see README.md).
 */
export const replicationDefinition: ProtocolDefinition<
  ReplicationMessage,
  ReplicationRecord,
  ReplicationNode
> = {
  name: 'replication',
  summary:
    'The replication strategies before consensus: primary–backup (sync, async, semi-sync), majority read/write, last-writer-wins, versioned, and the pre-read that turns it into Paxos.',
  variants: REPLICATION_VARIANTS,
  serves: 'kv',
  defaultNodes: 3,
  create: createReplicationNode,
  createInvariantChecker: (variant) => {
    if (!isReplicationVariant(variant))
      throw new SynodError('UNKNOWN_VARIANT', `unknown replication variant "${variant}"`);
    return createReplicationChecker(variant);
  },
};
