import type { ProtocolDefinition } from '../../core/protocol.js';
import type { PaxosRecord } from '../paxos/messages.js';
import { FastPaxosInvariantChecker } from './invariants.js';
import { type FastPaxosMessage, FastPaxosNode } from './node.js';
import { FAST_PAXOS_VARIANTS } from './options.js';

/**
 * Single-decree Fast Paxos for the simulator, the CLI and the visualizer: every node proposes
 * `v<id>` in the fast round at a random early tick, so proposals collide often; node 0 coordinates
 * recovery.
 */
export const fastPaxosDefinition: ProtocolDefinition<FastPaxosMessage, PaxosRecord, FastPaxosNode> =
  {
    name: 'fastpaxos',
    summary:
      'Fast Paxos (single-decree): proposers write straight to the acceptors, ⌈3n/4⌉ fast quorums, coordinated or uncoordinated collision recovery.',
    variants: FAST_PAXOS_VARIANTS,
    serves: 'none',
    defaultNodes: 5,
    create: (context) => new FastPaxosNode(context),
    createInvariantChecker: () => new FastPaxosInvariantChecker(),
  };
