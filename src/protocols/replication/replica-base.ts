import { assert } from '../../core/assert.js';
import type { NodeId } from '../../core/ids.js';
import type { NodeContext, Ready } from '../../core/protocol.js';
import type { ReplicationMessage, ReplicationRecord } from './messages.js';
import { Outbox } from './outbox.js';

/** What every replication node shares: its identity, the membership, and the outbox it drains. */
export abstract class ReplicaBase {
  readonly id: NodeId;
  /** Every member, this node included, in id order. */
  protected readonly members: readonly NodeId[];
  protected readonly out: Outbox<ReplicationMessage, ReplicationRecord>;

  constructor(context: NodeContext<ReplicationRecord>) {
    this.id = context.id;
    this.members = [...context.members].sort((a, b) => a - b);
    assert(this.members.includes(this.id), `node ${this.id} is not a member`);
    this.out = new Outbox(this.id);
  }

  hasReady(): boolean {
    return this.out.hasReady();
  }

  ready(): Ready<ReplicationMessage, ReplicationRecord> {
    return this.out.drain();
  }
}
