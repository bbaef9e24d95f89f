import type { NodeId } from '../../core/ids.js';
import { type PaxosNetwork, paxosNetwork } from './harness.js';
import { PaxosInvariantChecker } from './invariants.js';
import type { PaxosMessage } from './messages.js';
import { isPaxosVariant } from './options.js';

/** Acceptors X, Y, Z and proposers A, B, as in seed 000; everyone learns. */
export const X = 0;
export const Y = 1;
export const Z = 2;
export const A = 3;
export const B = 4;
export const ACCEPTORS: readonly NodeId[] = [X, Y, Z];

export function fiveNodes(
  variant = 'default',
  options: Record<string, unknown> = {},
): PaxosNetwork {
  return paxosNetwork({
    ids: [X, Y, Z, A, B],
    variant,
    options: { acceptors: ACCEPTORS, proposers: [A, B], ...options },
  });
}

/** Attaches the invariant checker; the returned list fills with violations as they happen. */
export function watch(network: PaxosNetwork, variant = 'default'): string[] {
  if (!isPaxosVariant(variant)) throw new Error(variant);
  const checker = new PaxosInvariantChecker(variant);
  const violations: string[] = [];
  network.observers.push(() => {
    const broken = checker.check(network.view());
    if (broken !== undefined && !violations.includes(broken.message))
      violations.push(`${broken.invariant}: ${broken.message}`);
  });
  return violations;
}

/** The message types `to` received from `from` that are still in flight. */
export function inFlightTypes(network: PaxosNetwork, from: NodeId, to: NodeId): string[] {
  return network.pending({ from, to }).map((envelope) => envelope.message.type);
}

/** The last reply in flight from `from` to `to` (learner traffic aside). */
export function lastMessage(network: PaxosNetwork, from: NodeId, to: NodeId): PaxosMessage {
  const pending = network
    .pending({ from, to })
    .filter((envelope) => envelope.message.type !== 'learn' && envelope.message.type !== 'chosen');
  const last = pending[pending.length - 1];
  if (last === undefined) throw new Error(`nothing in flight from ${from} to ${to}`);
  return last.message;
}
