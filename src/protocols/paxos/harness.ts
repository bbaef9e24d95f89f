import { assert } from '../../core/assert.js';
import { ManualClock } from '../../core/clock.js';
import type { NodeId } from '../../core/ids.js';
import type {
  ClientResponse,
  ClusterView,
  Envelope,
  ProtocolMessage,
  ProtocolNode,
  ProtocolNote,
} from '../../core/protocol.js';
import { type Rng, createRng } from '../../core/rng.js';
import type { PaxosMessage, PaxosRecord } from './messages.js';
import { PaxosNode } from './node.js';

/** Which in-flight messages a step means; every field given must match. */
export interface MessageFilter {
  readonly from?: NodeId;
  readonly to?: NodeId;
  readonly type?: string;
}

function matches<M extends ProtocolMessage>(envelope: Envelope<M>, filter: MessageFilter): boolean {
  return (
    (filter.from === undefined || envelope.from === filter.from) &&
    (filter.to === undefined || envelope.to === filter.to) &&
    (filter.type === undefined || envelope.message.type === filter.type)
  );
}

/** Upper bound on one `deliverAll`/`run` call, so a livelocked cluster cannot hang a test. */
const DELIVERIES_MAX = 100_000;

/**
 * A tiny etcd-style network for tests and guided tours: nodes you `step` and `tick`, a list of
 * in-flight messages you deliver one by one or all at once, links you cut, nodes you isolate,
 * crash and restart. Storage follows the Ready contract: a batch with `sync: true` makes every
 * earlier write durable; the writes of a `sync: false` batch are lost if the node crashes first.
 */
export class Network<M extends ProtocolMessage, R, N extends ProtocolNode<M, R>> {
  readonly inFlight: Envelope<M>[] = [];
  /** Every message that entered the network, by type (messages a node sends itself are not counted). */
  readonly sentByType = new Map<string, number>();
  readonly notes: { readonly node: NodeId; readonly note: ProtocolNote }[] = [];
  private readonly nodes = new Map<NodeId, N | undefined>();
  private readonly durable = new Map<NodeId, R[]>();
  private readonly unsynced = new Map<NodeId, R[]>();
  private readonly cutLinks = new Set<string>();
  /** Receives the client responses nodes release (KV protocols). */
  responseSink: ((node: NodeId, response: ClientResponse) => void) | undefined = undefined;
  /** Called after every action, delivery, tick, crash and restart (an invariant checker, say). */
  readonly observers: (() => void)[] = [];

  constructor(
    readonly ids: readonly NodeId[],
    private readonly create: (id: NodeId, restored: readonly R[]) => N,
  ) {
    for (const id of ids) {
      this.durable.set(id, []);
      this.unsynced.set(id, []);
      this.nodes.set(id, create(id, []));
    }
    this.collect();
  }

  node(id: NodeId): N {
    const node = this.nodes.get(id);
    assert(node !== undefined, `node ${id} is crashed or unknown`);
    return node;
  }

  isUp(id: NodeId): boolean {
    return this.nodes.get(id) !== undefined;
  }

  /** Run `action` on a node, then move its effects into storage and the network. */
  act(id: NodeId, action: (node: N) => void): void {
    action(this.node(id));
    this.collect();
  }

  tick(ids: readonly NodeId[] = this.ids): void {
    for (const id of ids) if (this.isUp(id)) this.node(id).tick();
    this.collect();
  }

  /** In-flight messages matching `filter`, oldest first. */
  pending(filter: MessageFilter = {}): Envelope<M>[] {
    return this.inFlight.filter((envelope) => matches(envelope, filter));
  }

  /** Deliver the oldest in-flight message matching `filter`; it must exist. */
  deliver(filter: MessageFilter): Envelope<M> {
    const index = this.inFlight.findIndex((envelope) => matches(envelope, filter));
    assert(index >= 0, `no in-flight message matches ${JSON.stringify(filter)}`);
    const [envelope] = this.inFlight.splice(index, 1) as [Envelope<M>];
    if (this.isUp(envelope.to)) this.node(envelope.to).step(envelope.from, envelope.message);
    this.collect();
    return envelope;
  }

  /** Deliver everything, including what the deliveries produce, oldest first; returns the count. */
  deliverAll(filter: MessageFilter = {}): number {
    let count = 0;
    while (this.pending(filter).length > 0) {
      assert(count++ < DELIVERIES_MAX, 'deliverAll did not settle');
      this.deliver(filter);
    }
    return count;
  }

  /** Drop in-flight messages matching `filter`; returns how many. */
  drop(filter: MessageFilter): number {
    const kept = this.inFlight.filter((envelope) => !matches(envelope, filter));
    const dropped = this.inFlight.length - kept.length;
    this.inFlight.splice(0, this.inFlight.length, ...kept);
    return dropped;
  }

  /** Cut the link both ways: messages sent over it from now on are lost. */
  cut(a: NodeId, b: NodeId): void {
    this.cutLinks.add(`${a}>${b}`).add(`${b}>${a}`);
  }

  isolate(id: NodeId): void {
    for (const other of this.ids) if (other !== id) this.cut(id, other);
  }

  heal(): void {
    this.cutLinks.clear();
  }

  /** Crash: volatile state and unsynced writes are lost; messages to it are lost on delivery. */
  crash(id: NodeId): void {
    assert(this.isUp(id), `node ${id} is already down`);
    this.nodes.set(id, undefined);
    this.unsynced.set(id, []);
    for (const observer of this.observers) observer();
  }

  /** The cluster as an invariant checker sees it. */
  view(timeUs = 0): ClusterView<N> {
    return { timeUs, nodes: this.ids.map((id) => ({ id, node: this.nodes.get(id) })) };
  }

  /**
   * Runs the cluster with random delays: each tick, every in-flight message is delivered with
   * probability `deliverProbability` (in random order), then every node ticks. Stops when `until`
   * holds or after `ticksMax` ticks; returns the ticks used.
   */
  runRandomly(
    rng: Rng,
    ticksMax: number,
    deliverProbability: number,
    until: () => boolean,
  ): number {
    for (let tick = 0; tick < ticksMax; tick++) {
      if (until()) return tick;
      const batch = rng.shuffle(this.inFlight).filter(() => rng.chance(deliverProbability));
      for (const envelope of batch) {
        const index = this.inFlight.indexOf(envelope);
        this.inFlight.splice(index, 1);
        if (this.isUp(envelope.to)) this.node(envelope.to).step(envelope.from, envelope.message);
        this.collect();
      }
      this.tick();
    }
    return ticksMax;
  }

  restart(id: NodeId): void {
    assert(!this.isUp(id), `node ${id} is up`);
    this.nodes.set(id, this.create(id, [...(this.durable.get(id) ?? [])]));
    this.collect();
  }

  /** Every message count, e.g. `{ prepare: 3, promise: 3 }`. */
  messageCounts(): Record<string, number> {
    return Object.fromEntries([...this.sentByType.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  private collect(): void {
    for (const [id, node] of this.nodes) {
      if (node === undefined || !node.hasReady()) continue;
      const batch = node.ready();
      this.store(id, batch.persist, batch.sync);
      for (const note of batch.notes) this.notes.push({ node: id, note });
      for (const response of batch.responses) this.responseSink?.(id, response);
      for (const envelope of batch.messages) {
        this.sentByType.set(
          envelope.message.type,
          (this.sentByType.get(envelope.message.type) ?? 0) + 1,
        );
        if (!this.cutLinks.has(`${envelope.from}>${envelope.to}`)) this.inFlight.push(envelope);
      }
    }
    for (const observer of this.observers) observer();
  }

  private store(
    id: NodeId,
    ops: readonly { kind: 'append' | 'replace'; records: readonly R[] }[],
    sync: boolean,
  ): void {
    const unsynced = this.unsynced.get(id) ?? [];
    let durable = this.durable.get(id) ?? [];
    for (const op of ops) {
      if (op.kind === 'replace') {
        unsynced.length = 0;
        if (sync) durable = [];
      }
      unsynced.push(...op.records);
    }
    if (sync) {
      durable.push(...unsynced);
      unsynced.length = 0;
    }
    this.durable.set(id, durable);
    this.unsynced.set(id, unsynced);
  }
}

export type PaxosNetwork = Network<PaxosMessage, PaxosRecord, PaxosNode>;

export interface PaxosNetworkConfig {
  readonly ids: readonly NodeId[];
  readonly variant?: string;
  readonly options?: Readonly<Record<string, unknown>>;
  readonly seed?: number;
}

/** A network of Paxos nodes; proposers wait to be told (`autoPropose: false`) unless options say otherwise. */
export function paxosNetwork(config: PaxosNetworkConfig): PaxosNetwork {
  const root = createRng(config.seed ?? 1);
  const clock = new ManualClock();
  const incarnations = new Map<NodeId, number>();
  return new Network<PaxosMessage, PaxosRecord, PaxosNode>(config.ids, (id, restored) => {
    const incarnation = (incarnations.get(id) ?? 0) + 1;
    incarnations.set(id, incarnation);
    return new PaxosNode({
      id,
      members: config.ids,
      variant: config.variant ?? 'default',
      rng: root.split(`node-${id}-${incarnation}`),
      clock,
      restored,
      options: { autoPropose: false, ...config.options },
    });
  });
}
