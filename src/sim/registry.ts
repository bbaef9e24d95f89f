import { SynodError } from '../core/errors.js';
import type { ProtocolDefinition, ProtocolMessage, ProtocolNode } from '../core/protocol.js';
import { fixedLeaderDefinition } from '../protocols/fixed-leader/index.js';
import { fastPaxosDefinition } from '../protocols/fastpaxos/definition.js';
import { multiPaxosDefinition } from '../protocols/multipaxos/definition.js';
import { paxosDefinition, paxosStoreDefinition } from '../protocols/paxos/definition.js';
import { paxosLeaseDefinition } from '../protocols/paxos/lease.js';
import { raftDefinition } from '../protocols/raft/definition.js';
import { replicationDefinition } from '../protocols/replication/definition.js';

/** A protocol definition with its message, record and node types erased, as the simulator holds it. */
export type AnyProtocolDefinition = ProtocolDefinition<
  ProtocolMessage,
  unknown,
  ProtocolNode<ProtocolMessage, unknown>
>;

/**
 * Every protocol the simulator, the CLI and the visualizer know. To add one: import its definition
 * and add it to this list; the determinism test covers it from then on.
 */
export const PROTOCOLS: readonly AnyProtocolDefinition[] = [
  fastPaxosDefinition,
  fixedLeaderDefinition,
  multiPaxosDefinition,
  paxosDefinition,
  paxosStoreDefinition,
  paxosLeaseDefinition,
  raftDefinition,
  replicationDefinition,
];

export function protocolNames(): string[] {
  return PROTOCOLS.map((definition) => definition.name);
}

/** The protocol called `name`; a `SynodError` (UNKNOWN_PROTOCOL) that lists the known ones otherwise. */
export function findProtocol(name: string): AnyProtocolDefinition {
  const found = PROTOCOLS.find((definition) => definition.name === name);
  if (found === undefined)
    throw new SynodError(
      'UNKNOWN_PROTOCOL',
      `unknown protocol ${JSON.stringify(name)}; known protocols: ${protocolNames().join(', ')}`,
    );
  return found;
}

export interface VariantListing {
  readonly protocol: string;
  readonly variant: string;
  readonly unsafe: boolean;
  readonly description: string;
}

/** Every (protocol, variant) pair, safe defaults first within each protocol. */
export function listVariants(): VariantListing[] {
  return PROTOCOLS.flatMap((definition) =>
    definition.variants.map((variant) => ({
      protocol: definition.name,
      variant: variant.name,
      unsafe: variant.unsafe,
      description: variant.description,
    })),
  );
}
