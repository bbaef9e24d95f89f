import { ManualClock } from '../../core/clock.js';
import type { NodeId } from '../../core/ids.js';
import { createRng } from '../../core/rng.js';
import { Network } from '../paxos/harness.js';
import type { PaxosRecord } from '../paxos/messages.js';
import { FastPaxosInvariantChecker } from './invariants.js';
import { type FastPaxosMessage, FastPaxosNode } from './node.js';

export type FastPaxosNetwork = Network<FastPaxosMessage, PaxosRecord, FastPaxosNode>;

/** A test network of Fast Paxos nodes (Basic Paxos's harness), with the checker watching every step. */
export function fastPaxosNetwork(
  ids: readonly NodeId[],
  variant: string,
  options: Readonly<Record<string, unknown>>,
  seed = 1,
): { network: FastPaxosNetwork; checker: FastPaxosInvariantChecker; violations: string[] } {
  const root = createRng(seed);
  const clock = new ManualClock();
  const incarnations = new Map<NodeId, number>();
  const network: FastPaxosNetwork = new Network(ids, (id, restored) => {
    const incarnation = (incarnations.get(id) ?? 0) + 1;
    incarnations.set(id, incarnation);
    return new FastPaxosNode({
      id,
      members: ids,
      variant,
      rng: root.split(`node-${id}-${incarnation}`),
      clock,
      restored,
      options: { autoPropose: false, ...options },
    });
  });
  const checker = new FastPaxosInvariantChecker();
  const violations: string[] = [];
  network.observers.push(() => {
    const broken = checker.check(network.view());
    if (broken !== undefined && !violations.includes(broken.message))
      violations.push(broken.message);
  });
  return { network, checker, violations };
}
