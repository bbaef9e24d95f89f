import type { NodeContext, ProtocolDefinition } from '../../core/protocol.js';
import { type KvCommand, ReplicatedKv } from '../../core/replicated-kv.js';
import { MultiPaxosEngine } from './engine.js';
import { MultiPaxosInvariantChecker } from './invariants.js';
import type { MultiPaxosMessage, MultiPaxosRecord } from './messages.js';
import { MULTIPAXOS_VARIANTS } from './options.js';

export type MultiPaxosKvMessage = MultiPaxosMessage<KvCommand>;
export type MultiPaxosKvRecord = MultiPaxosRecord<KvCommand>;

/** The KV state machine on a Multi-Paxos engine, keeping a typed handle on the engine for the checker. */
export class MultiPaxosKv extends ReplicatedKv<MultiPaxosKvMessage, MultiPaxosKvRecord> {
  constructor(readonly multipaxos: MultiPaxosEngine<KvCommand>) {
    super(multipaxos, {
      snapshotEveryEntries: multipaxos.options.snapshotEveryEntries,
      pendingRequestsMax: 10_000,
    });
  }
}

/** Multi-Paxos as the simulator, the CLI and the visualizer know it. */
export const multiPaxosDefinition: ProtocolDefinition<
  MultiPaxosKvMessage,
  MultiPaxosKvRecord,
  MultiPaxosKv
> = {
  name: 'multipaxos',
  summary:
    'Multi-Paxos: a leader runs phase 1 once for the whole log, then one accept round trip per slot; leases, no-op hole filling, batching, pipelining, snapshots; a linearizable KV on top.',
  variants: MULTIPAXOS_VARIANTS,
  serves: 'kv',
  defaultNodes: 3,
  create: (context: NodeContext<MultiPaxosKvRecord>) =>
    new MultiPaxosKv(new MultiPaxosEngine<KvCommand>(context)),
  createInvariantChecker: () =>
    new MultiPaxosInvariantChecker<MultiPaxosKv>(
      (node) => node.multipaxos as MultiPaxosEngine<unknown>,
    ),
};
