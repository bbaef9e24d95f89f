import type { NodeContext, ProtocolDefinition } from '../../core/protocol.js';
import { ACK_BEFORE_SYNC, FixedLeaderEngine } from './engine.js';
import { FixedLeaderInvariants } from './invariants.js';
import type { FixedLeaderMessage, FixedLeaderRecord } from './messages.js';
import { FixedLeaderNode } from './node.js';

export { ACK_BEFORE_SYNC, DEFAULT_FIXED_LEADER_OPTIONS, FixedLeaderEngine } from './engine.js';
export type { FixedLeaderOptions } from './engine.js';
export { FixedLeaderInvariants } from './invariants.js';
export type * from './messages.js';
export { FixedLeaderNode } from './node.js';

/** The simplest replicated log: node 0 leads forever. The simulator's first customer. */
export const fixedLeaderDefinition: ProtocolDefinition<
  FixedLeaderMessage,
  FixedLeaderRecord,
  FixedLeaderNode
> = {
  name: 'fixed-leader',
  summary:
    'A replicated log whose leader is node 0 forever: append, replicate, commit on a durable majority. Safe, not live while node 0 is down.',
  variants: [
    {
      name: 'default',
      unsafe: false,
      description: 'The leader fsyncs its appends before sending them.',
    },
    {
      name: ACK_BEFORE_SYNC,
      unsafe: true,
      description:
        'The leader sends appends before they are durable on its own disk; a leader crash can lose committed writes.',
    },
  ],
  serves: 'kv',
  defaultNodes: 3,
  create: (context: NodeContext<FixedLeaderRecord>) =>
    new FixedLeaderNode(new FixedLeaderEngine(context)),
  createInvariantChecker: () => new FixedLeaderInvariants(),
};
