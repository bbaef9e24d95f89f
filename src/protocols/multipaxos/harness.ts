import { ManualClock } from '../../core/clock.js';
import type { NodeId } from '../../core/ids.js';
import type { ClientResponse } from '../../core/protocol.js';
import { createRng } from '../../core/rng.js';
import { Network } from '../paxos/harness.js';
import { type MultiPaxosKvMessage, type MultiPaxosKvRecord, MultiPaxosKv } from './definition.js';
import { MultiPaxosEngine } from './engine.js';
import { MultiPaxosInvariantChecker } from './invariants.js';

export type MultiPaxosNetwork = Network<MultiPaxosKvMessage, MultiPaxosKvRecord, MultiPaxosKv>;

export interface MultiPaxosTestCluster {
  readonly network: MultiPaxosNetwork;
  readonly checker: MultiPaxosInvariantChecker<MultiPaxosKv>;
  /** Every invariant violation seen, in order. */
  readonly violations: string[];
  readonly responses: { readonly node: NodeId; readonly response: ClientResponse }[];
  engine(id: NodeId): MultiPaxosEngine<unknown>;
  /**
   * Lets the other nodes' leases lapse, ticks `id` alone until it runs phase 1, then delivers
   * everything: it leads, if a quorum can answer.
   */
  elect(id: NodeId): void;
  /** Sends a put to `id`. */
  put(id: NodeId, key: string, value: string): void;
  /** Asks `id` to change the configuration; the refusal, if any. */
  reconfigure(
    id: NodeId,
    voters: readonly NodeId[],
    learners?: readonly NodeId[],
  ): string | undefined;
}

/**
 * A test cluster of KV nodes on Multi-Paxos (Basic Paxos's harness), with the checker watching every
 * step. `joiners` start with no configuration, as a member added to a running cluster does.
 */
export function multiPaxosCluster(
  ids: readonly NodeId[],
  variant = 'default',
  options: Readonly<Record<string, unknown>> = {},
  joiners: readonly NodeId[] = [],
  seed = 1,
): MultiPaxosTestCluster {
  const root = createRng(seed);
  const clock = new ManualClock();
  const incarnations = new Map<NodeId, number>();
  const network: MultiPaxosNetwork = new Network([...ids, ...joiners], (id, restored) => {
    const incarnation = (incarnations.get(id) ?? 0) + 1;
    incarnations.set(id, incarnation);
    const context = {
      id,
      members: joiners.includes(id) ? [] : ids,
      variant,
      rng: root.split(`node-${id}-${incarnation}`),
      clock,
      restored,
      options,
    };
    return new MultiPaxosKv(new MultiPaxosEngine(context));
  });
  const checker = new MultiPaxosInvariantChecker<MultiPaxosKv>(
    (node) => node.multipaxos as MultiPaxosEngine<unknown>,
  );
  const violations: string[] = [];
  const responses: { node: NodeId; response: ClientResponse }[] = [];
  network.responseSink = (node, response) => responses.push({ node, response });
  network.observers.push(() => {
    const broken = checker.check(network.view());
    if (broken !== undefined) violations.push(`${broken.invariant}: ${broken.message}`);
  });
  let requestId = 0;
  const engine = (id: NodeId): MultiPaxosEngine<unknown> =>
    network.node(id).multipaxos as MultiPaxosEngine<unknown>;
  return {
    network,
    checker,
    violations,
    responses,
    engine,
    elect(id) {
      // Let every other acceptor's lease on an old leader run out first (their clocks move too).
      const others = network.ids.filter((other) => other !== id && network.isUp(other));
      for (let tick = 0; tick <= engine(id).options.leaseTicks; tick++) network.tick(others);
      for (let tick = 0; tick < 1_000 && engine(id).role === 'follower'; tick++) network.tick([id]);
      network.deliverAll();
    },
    put(id, key, value) {
      network.act(id, (node) => node.request({ id: ++requestId, op: { f: 'put', key, value } }));
    },
    reconfigure(id, voters, learners = []) {
      let refusal: string | undefined;
      network.act(id, () => {
        refusal = engine(id).proposeConfigChange({ voters, learners });
      });
      return refusal;
    },
  };
}
