import { assert } from '../../core/assert.js';
import { ManualClock } from '../../core/clock.js';
import { type NodeId, nodeIds } from '../../core/ids.js';
import type { KvOp } from '../../core/kv.js';
import type {
  ClientResponse,
  ClusterView,
  Envelope,
  InvariantChecker,
  ProtocolNote,
} from '../../core/protocol.js';
import { createRng } from '../../core/rng.js';
import { createReplicationChecker } from './invariants.js';
import type { ReplicationMessage, ReplicationRecord } from './messages.js';
import { type ReplicationNode, createReplicationNode } from './node.js';
import type { ReplicationVariant } from './options.js';

/** Which in-flight messages a step means; every field given must match. */
export interface MessageFilter {
  readonly from?: NodeId;
  readonly to?: NodeId;
  readonly type?: ReplicationMessage['type'];
}

function matches(envelope: Envelope<ReplicationMessage>, filter: MessageFilter): boolean {
  return (
    (filter.from === undefined || envelope.from === filter.from) &&
    (filter.to === undefined || envelope.to === filter.to) &&
    (filter.type === undefined || envelope.message.type === filter.type)
  );
}

/** Upper bound on one `deliverAll`, so a chatty cluster cannot hang a test. */
const DELIVERY_ROUNDS_MAX = 1000;

export interface ClusterOptions {
  readonly variant: ReplicationVariant;
  readonly nodes: number;
  readonly options?: Readonly<Record<string, unknown>>;
  readonly seed?: number;
}

/**
 * A tiny etcd-style cluster for tests and guided tours: you hand nodes client requests, tick them,
 * deliver or drop in-flight messages one filter at a time, cut links, crash a node and restart it
 * from its durable records. Every batch is drained at once, persisted first (all strategies sync),
 * and the strategy's invariant checker runs after every action.
 */
export class ReplicationCluster {
  readonly ids: readonly NodeId[];
  readonly inFlight: Envelope<ReplicationMessage>[] = [];
  readonly responses = new Map<number, ClientResponse>();
  readonly notes: { readonly node: NodeId; readonly note: ProtocolNote }[] = [];
  /** Each invariant violation once, in the order found. */
  readonly violations: { readonly invariant: string; readonly message: string }[] = [];
  private readonly nodes = new Map<NodeId, ReplicationNode | undefined>();
  private readonly durable = new Map<NodeId, ReplicationRecord[]>();
  private readonly cutLinks = new Set<string>();
  private readonly checker: InvariantChecker<ReplicationNode>;

  constructor(private readonly config: ClusterOptions) {
    this.ids = nodeIds(config.nodes);
    this.checker = createReplicationChecker(config.variant);
    for (const id of this.ids) {
      this.durable.set(id, []);
      this.nodes.set(id, this.create(id));
    }
    this.collect();
  }

  node(id: NodeId): ReplicationNode {
    const node = this.nodes.get(id);
    assert(node !== undefined, `node ${id} is down`);
    return node;
  }

  isUp(id: NodeId): boolean {
    return this.nodes.get(id) !== undefined;
  }

  request(id: NodeId, requestId: number, op: KvOp): void {
    this.node(id).request({ id: requestId, op });
    this.collect();
  }

  tick(nodes: readonly NodeId[] = this.ids, count = 1): void {
    for (let round = 0; round < count; round++)
      for (const id of nodes) {
        if (!this.isUp(id)) continue;
        this.node(id).tick();
        this.collect();
      }
  }

  /** Delivers every message now in flight that matches, oldest first; returns how many. */
  deliver(filter: MessageFilter = {}): number {
    const chosen = this.take(filter);
    for (const envelope of chosen) {
      if (!this.isUp(envelope.to) || this.isCut(envelope.from, envelope.to)) continue;
      this.node(envelope.to).step(envelope.from, envelope.message);
      this.collect();
    }
    return chosen.length;
  }

  /** Delivers until nothing matching is in flight (what the deliveries produce included). */
  deliverAll(filter: MessageFilter = {}): void {
    for (let round = 0; round < DELIVERY_ROUNDS_MAX; round++)
      if (this.deliver(filter) === 0) return;
    assert(false, `still delivering after ${DELIVERY_ROUNDS_MAX} rounds`);
  }

  drop(filter: MessageFilter = {}): number {
    return this.take(filter).length;
  }

  crash(id: NodeId): void {
    assert(this.isUp(id), `node ${id} is already down`);
    this.nodes.set(id, undefined);
    this.check();
  }

  restart(id: NodeId): void {
    assert(!this.isUp(id), `node ${id} is up`);
    this.nodes.set(id, this.create(id));
    this.collect();
  }

  /** Cuts both directions between `a` and `b`: messages on the link are dropped. */
  cut(a: NodeId, b: NodeId): void {
    this.cutLinks.add(`${a}>${b}`);
    this.cutLinks.add(`${b}>${a}`);
  }

  heal(): void {
    this.cutLinks.clear();
  }

  view(): ClusterView<ReplicationNode> {
    return { timeUs: 0, nodes: this.ids.map((id) => ({ id, node: this.nodes.get(id) })) };
  }

  durableRecords(id: NodeId): readonly ReplicationRecord[] {
    return this.durable.get(id) ?? [];
  }

  private create(id: NodeId): ReplicationNode {
    return createReplicationNode({
      id,
      members: this.ids,
      variant: this.config.variant,
      rng: createRng(this.config.seed ?? 1).split(`node:${id}`),
      clock: new ManualClock(),
      restored: [...(this.durable.get(id) ?? [])],
      options: this.config.options ?? {},
    });
  }

  private isCut(from: NodeId, to: NodeId): boolean {
    return this.cutLinks.has(`${from}>${to}`);
  }

  private take(filter: MessageFilter): Envelope<ReplicationMessage>[] {
    const chosen = this.inFlight.filter((envelope) => matches(envelope, filter));
    const rest = this.inFlight.filter((envelope) => !matches(envelope, filter));
    this.inFlight.splice(0, this.inFlight.length, ...rest);
    return chosen;
  }

  /** Drains every live node: persist first, then send and answer (the Ready contract). */
  private collect(): void {
    for (const id of this.ids) {
      const node = this.nodes.get(id);
      if (node === undefined || !node.hasReady()) continue;
      const ready = node.ready();
      const durable = this.durable.get(id) as ReplicationRecord[];
      for (const op of ready.persist) {
        if (op.kind === 'replace') durable.length = 0;
        durable.push(...op.records);
      }
      for (const envelope of ready.messages)
        if (!this.isCut(envelope.from, envelope.to)) this.inFlight.push(envelope);
      for (const response of ready.responses) this.responses.set(response.id, response);
      for (const note of ready.notes) this.notes.push({ node: id, note });
    }
    this.check();
  }

  private check(): void {
    const broken = this.checker.check(this.view());
    if (broken === undefined) return;
    if (this.violations.some((seen) => seen.message === broken.message)) return;
    this.violations.push({ invariant: broken.invariant, message: broken.message });
  }
}
