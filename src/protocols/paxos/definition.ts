import type { ProtocolDefinition } from '../../core/protocol.js';
import { PaxosInvariantChecker } from './invariants.js';
import type { PaxosMessage, PaxosRecord } from './messages.js';
import { PaxosNode } from './node.js';
import { PAXOS_VARIANTS, isPaxosVariant } from './options.js';
import { VersionedStoreNode } from './store.js';

/**
 * Single-decree Paxos for the simulator, the CLI and the visualizer. Every node plays all three
 * roles by default; proposers propose `v<id>` by themselves at a random early tick (`serves:
 * 'none'`: there are no clients), retry with randomized exponential backoff, and stop once they
 * know the outcome.
 */
export const paxosDefinition: ProtocolDefinition<PaxosMessage, PaxosRecord, PaxosNode> = {
  name: 'paxos',
  summary: 'Single-decree (Basic) Paxos: proposers, acceptors and learners agree on one value.',
  variants: PAXOS_VARIANTS,
  serves: 'none',
  defaultNodes: 3,
  create: (context) => new PaxosNode(context),
  createInvariantChecker: (variant) => {
    if (!isPaxosVariant(variant)) throw new Error(`unknown paxos variant "${variant}"`);
    return new PaxosInvariantChecker(variant);
  },
};

/**
 * The versioned store built on Paxos (seed 002): each version of the data is one Paxos instance.
 * It serves the simulator's KV clients (`get`, `put` = set, `inc`, and the rest of the KV
 * operations), and their history is checked for linearizability.
 */
export const paxosStoreDefinition: ProtocolDefinition<
  PaxosMessage,
  PaxosRecord,
  VersionedStoreNode
> = {
  name: 'paxos-store',
  summary:
    'A versioned KV store: every version is decided by its own Basic Paxos instance, no leader.',
  variants: PAXOS_VARIANTS,
  serves: 'kv',
  defaultNodes: 3,
  create: (context) => new VersionedStoreNode(context),
  createInvariantChecker: (variant) => {
    if (!isPaxosVariant(variant)) throw new Error(`unknown paxos-store variant "${variant}"`);
    return new PaxosInvariantChecker(variant);
  },
};
