import { SynodError } from '../../core/errors.js';
import type { NodeContext } from '../../core/protocol.js';
import type { ReplicationRecord } from './messages.js';
import {
  type ReplicationOptions,
  isPrimaryBackupVariant,
  isReplicationVariant,
  parseReplicationOptions,
} from './options.js';
import { PrimaryBackupNode } from './primary-backup.js';
import { QuorumNode } from './quorum-node.js';

export type ReplicationNode = PrimaryBackupNode | QuorumNode;

/** A node of the strategy the context's variant names. */
export function createReplicationNode(context: NodeContext<ReplicationRecord>): ReplicationNode {
  const variant = context.variant;
  if (!isReplicationVariant(variant))
    throw new SynodError(
      'UNKNOWN_VARIANT',
      `unknown replication variant "${variant}"; see \`synod variants\``,
    );
  const options: ReplicationOptions = parseReplicationOptions(variant, context.options);
  return isPrimaryBackupVariant(variant)
    ? new PrimaryBackupNode(context, variant, options)
    : new QuorumNode(context, variant, options);
}
