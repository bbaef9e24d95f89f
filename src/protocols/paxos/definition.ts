import type { ProtocolDefinition } from '../../core/protocol.js';
import { PaxosInvariantChecker } from './invariants.js';
import type { PaxosMessage, PaxosRecord } from './messages.js';
import { PaxosNode } from './node.js';
import { PAXOS_VARIANTS, isPaxosVariant } from './options.js';

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
