import { assert } from '../../core/assert.js';
import { ReplicationCluster } from './harness.js';
import type { ReplicationVariant } from './options.js';

/** A bound on the rounds a measurement waits: every strategy answers within a few, or never. */
const ROUNDS_MAX = 20;

/**
 * How many message delays a write takes from the client's request to the answer, on the test
 * cluster with no faults: each round delivers every message in flight once, which is one delay.
 * Node 0 receives the write (the primary, or a coordinator). Undefined: never answered.
 */
export function writeDelays(variant: ReplicationVariant, nodes: number): number | undefined {
  const cluster = new ReplicationCluster({ variant, nodes });
  cluster.request(0, 1, { f: 'put', key: 'k', value: 'v' });
  for (let round = 0; round <= ROUNDS_MAX; round++) {
    if (cluster.responses.has(1)) return round;
    cluster.deliver();
  }
  return undefined;
}

/**
 * Whether a write sent to node 0 is acknowledged while the `down` highest-numbered nodes are
 * crashed (node 0, the primary or coordinator, stays up), given time for resends.
 */
export function writeAvailableWithDown(
  variant: ReplicationVariant,
  nodes: number,
  down: number,
): boolean {
  assert(down >= 0 && down < nodes, `cannot crash ${down} of ${nodes} nodes and keep node 0`);
  // Failover off: the question is whether writes go through, not whether a backup takes over.
  const cluster = new ReplicationCluster({ variant, nodes, options: { failoverTicks: 0 } });
  for (let id = nodes - down; id < nodes; id++) cluster.crash(id);
  cluster.request(0, 1, { f: 'put', key: 'k', value: 'v' });
  for (let round = 0; round < ROUNDS_MAX && !cluster.responses.has(1); round++) {
    cluster.deliverAll();
    cluster.tick();
  }
  return cluster.responses.get(1)?.outcome === 'ok';
}

export interface StrategyFigures {
  readonly variant: ReplicationVariant;
  /** Message delays from request to acknowledgment, no faults. */
  readonly writeDelays: number | undefined;
  /** The most nodes that may be down with writes still acknowledged. */
  readonly writesSurviveDown: number;
}

/** The figures of one strategy on a cluster of `nodes`. */
export function measureFigures(variant: ReplicationVariant, nodes: number): StrategyFigures {
  let writesSurviveDown = -1;
  for (let down = 0; down < nodes; down++)
    if (writeAvailableWithDown(variant, nodes, down)) writesSurviveDown = down;
    else break;
  return { variant, writeDelays: writeDelays(variant, nodes), writesSurviveDown };
}
