import type { NodeContext, ProtocolDefinition } from '../../core/protocol.js';
import { type KvCommand, ReplicatedKv } from '../../core/replicated-kv.js';
import { RaftInvariantChecker } from './invariants.js';
import type { RaftMessage } from './messages.js';
import { parseRaftOptions } from './options.js';
import { RaftNode } from './raft.js';
import type { RaftRecord } from './records.js';
import { RAFT_VARIANTS } from './variants.js';

export type RaftKvMessage = RaftMessage<KvCommand>;
export type RaftKvRecord = RaftRecord<KvCommand>;

/** The KV state machine on a Raft engine, keeping a typed handle on the engine for the checker. */
export class RaftKv extends ReplicatedKv<RaftKvMessage, RaftKvRecord> {
  constructor(readonly raft: RaftNode<KvCommand>) {
    super(raft, {
      snapshotEveryEntries: raft.options.snapshotEveryEntries,
      pendingRequestsMax: 10_000,
    });
  }
}

/** Raft as the simulator, the CLI and the visualizer know it. */
export const raftDefinition: ProtocolDefinition<RaftKvMessage, RaftKvRecord, RaftKv> = {
  name: 'raft',
  summary:
    'Raft (etcd-io/raft style): leader election with Pre-Vote and CheckQuorum, log replication, snapshots, joint consensus, ReadIndex; a linearizable KV on top.',
  variants: RAFT_VARIANTS,
  serves: 'kv',
  defaultNodes: 3,
  create(context: NodeContext<RaftKvRecord>): RaftKv {
    parseRaftOptions(context.options); // fail early, with the option's name, on a bad value
    return new RaftKv(new RaftNode<KvCommand>(context));
  },
  createInvariantChecker() {
    return new RaftInvariantChecker<RaftKv>((node) => node.raft as RaftNode<unknown>);
  },
};
