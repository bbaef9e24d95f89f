import { assert } from '../../core/assert.js';
import { ManualClock } from '../../core/clock.js';
import type { NodeId } from '../../core/ids.js';
import type { Envelope } from '../../core/protocol.js';
import type { CommittedEntry, ReadState } from '../../core/replicated-log.js';
import { createRng } from '../../core/rng.js';
import type { RaftMessage, RaftMessageType } from './messages.js';
import { RaftNode } from './raft.js';
import type { RaftRecord } from './records.js';

type Message = RaftMessage<string>;

export interface NetworkOptions {
  readonly variant?: string;
  readonly seed?: number;
  /** Raft options for every node. */
  readonly options?: Readonly<Record<string, unknown>>;
}

/**
 * A tiny etcd-style test network of Raft nodes with string commands: messages wait in a queue until
 * delivered; links can be cut, nodes isolated, messages filtered; nodes crash and restart from the
 * records they persisted. Every ready() is handled in contract order: persist, then send, then apply.
 */
export class RaftNetwork {
  readonly nodes = new Map<NodeId, RaftNode<string>>();
  /** Each node's durable records, as the driver wrote them. */
  readonly storage = new Map<NodeId, RaftRecord<string>[]>();
  /** Each node's application: the entries it applied, in order (restarts append after a snapshot). */
  readonly applied = new Map<NodeId, CommittedEntry<string>[]>();
  readonly readStates = new Map<NodeId, ReadState[]>();
  readonly snapshotsLoaded = new Map<NodeId, number[]>();
  readonly notes: string[] = [];
  /** Messages sent and not yet delivered or dropped. */
  queue: Envelope<Message>[] = [];
  /** Every message sent, for assertions about traffic. */
  readonly sent: Envelope<Message>[] = [];
  private readonly cutLinks = new Set<string>();
  private readonly dropTypes = new Set<RaftMessageType>();
  private readonly members: NodeId[];
  private restarts = 0;

  constructor(
    readonly size: number,
    private readonly config: NetworkOptions = {},
  ) {
    this.members = Array.from({ length: size }, (_, index) => index + 1);
    for (const id of this.members) this.start(id, [], {});
  }

  private start(
    id: NodeId,
    restored: RaftRecord<string>[],
    extra: Record<string, unknown>,
  ): RaftNode<string> {
    const node = new RaftNode<string>({
      id,
      members: this.members,
      variant: this.config.variant ?? 'default',
      rng: createRng(this.config.seed ?? 1).split(`node-${id}-${this.restarts}`),
      clock: new ManualClock(),
      restored,
      options: { ...this.config.options, ...extra },
    });
    this.nodes.set(id, node);
    if (!this.storage.has(id)) this.storage.set(id, []);
    if (!this.applied.has(id)) this.applied.set(id, []);
    this.drain(id);
    return node;
  }

  node(id: NodeId): RaftNode<string> {
    const node = this.nodes.get(id);
    assert(node !== undefined, `node ${id} is down`);
    return node;
  }

  /** Adds a node that starts with an empty configuration, waiting to be added by the leader. */
  addJoiner(id: NodeId): RaftNode<string> {
    assert(!this.nodes.has(id), `node ${id} exists`);
    return this.start(id, [], { join: true });
  }

  /** Processes a node's ready batch: persist, queue messages, apply committed entries. */
  drain(id: NodeId): void {
    const node = this.nodes.get(id);
    if (node === undefined) return;
    while (node.hasReady()) {
      const ready = node.ready();
      const storage = this.storage.get(id)!;
      for (const op of ready.persist) {
        if (op.kind === 'replace') storage.length = 0;
        storage.push(...op.records);
      }
      for (const envelope of ready.messages) {
        this.queue.push(envelope);
        this.sent.push(envelope);
      }
      const applied = this.applied.get(id)!;
      if (ready.snapshot !== undefined) {
        this.snapshotsLoaded.set(id, [
          ...(this.snapshotsLoaded.get(id) ?? []),
          ready.snapshot.index,
        ]);
        applied.length = 0;
        applied.push(...(ready.snapshot.data as CommittedEntry<string>[]));
      }
      for (const entry of ready.committed) {
        if (entry.index <= (applied.at(-1)?.index ?? 0)) continue;
        assert(entry.index === (applied.at(-1)?.index ?? 0) + 1, `node ${id} applied out of order`);
        applied.push(entry);
      }
      this.readStates.set(id, [...(this.readStates.get(id) ?? []), ...ready.readStates]);
      this.notes.push(...ready.notes.map((note) => note.text));
    }
  }

  drainAll(): void {
    for (const id of this.nodes.keys()) this.drain(id);
  }

  tick(id: NodeId, ticks = 1): void {
    for (let count = 0; count < ticks; count++) {
      this.node(id).tick();
      this.drain(id);
    }
  }

  tickAll(ticks = 1): void {
    for (let count = 0; count < ticks; count++) for (const id of this.nodes.keys()) this.tick(id);
  }

  /** Delivers queued messages (and those they cause) until none are left; returns how many. */
  deliverAll(limit = 100_000): number {
    let delivered = 0;
    while (this.queue.length > 0) {
      assert(delivered < limit, 'message storm: the network did not quiesce');
      const envelope = this.queue.shift()!;
      if (this.deliver(envelope)) delivered++;
    }
    return delivered;
  }

  /** Delivers one message unless its link is cut, its type dropped or its target down. */
  deliver(envelope: Envelope<Message>): boolean {
    const { from, to, message } = envelope;
    if (this.cutLinks.has(`${from}->${to}`) || this.dropTypes.has(message.type)) return false;
    const node = this.nodes.get(to);
    if (node === undefined) return false;
    node.step(from, message);
    this.drain(to);
    return true;
  }

  /** Removes and returns the queued messages that match. */
  take(match: (envelope: Envelope<Message>) => boolean): Envelope<Message>[] {
    const taken = this.queue.filter(match);
    this.queue = this.queue.filter((envelope) => !match(envelope));
    return taken;
  }

  cut(a: NodeId, b: NodeId): void {
    this.cutLinks.add(`${a}->${b}`);
    this.cutLinks.add(`${b}->${a}`);
  }

  isolate(id: NodeId): void {
    for (const other of this.members) if (other !== id) this.cut(id, other);
  }

  /** Splits the cluster into the given groups: links inside a group stay, others are cut. */
  partition(...groups: NodeId[][]): void {
    for (const a of groups.flat())
      for (const b of groups.flat())
        if (
          groups.findIndex((group) => group.includes(a)) !==
          groups.findIndex((group) => group.includes(b))
        )
          this.cut(a, b);
  }

  drop(type: RaftMessageType): void {
    this.dropTypes.add(type);
  }

  heal(): void {
    this.cutLinks.clear();
    this.dropTypes.clear();
  }

  crash(id: NodeId): void {
    this.nodes.delete(id);
    this.queue = this.queue.filter((envelope) => envelope.to !== id);
  }

  restart(id: NodeId, extra: Record<string, unknown> = {}): RaftNode<string> {
    assert(!this.nodes.has(id), `node ${id} is up`);
    this.restarts++;
    this.applied.set(id, []);
    return this.start(id, this.storage.get(id)!.slice(), extra);
  }

  /**
   * Replaces a node's durable state with a log of the given terms (index 1, 2, …) at `term`, and
   * restarts it from that: the way etcd's tests build the logs of the paper's figures.
   */
  setLog(id: NodeId, terms: readonly number[], term: number, commit = 0): RaftNode<string> {
    const entries = terms.map((entryTerm, position) => ({
      index: position + 1,
      term: entryTerm,
      command: `e${position + 1}t${entryTerm}`,
    }));
    this.crash(id);
    this.storage.set(id, [
      { type: 'entries', entries },
      { type: 'hard-state', term, vote: null, commit },
    ]);
    return this.restart(id);
  }

  /** The terms of a node's log entries after its snapshot. */
  terms(id: NodeId): number[] {
    const log = this.node(id).log;
    const terms: number[] = [];
    for (let index = log.firstIndex(); index <= log.lastIndex(); index++)
      terms.push(log.term(index)!);
    return terms;
  }

  /** Campaigns `id` at once (no pre-vote) and delivers everything. */
  elect(id: NodeId): void {
    this.node(id).campaign('election');
    this.drain(id);
    this.deliverAll();
  }

  propose(id: NodeId, command: string): boolean {
    const accepted = this.node(id).propose(command);
    this.drain(id);
    return accepted;
  }

  /** The node that considers itself leader at the highest term. */
  leader(): RaftNode<string> | undefined {
    let best: RaftNode<string> | undefined;
    for (const node of this.nodes.values())
      if (node.role === 'leader' && (best === undefined || node.term > best.term)) best = node;
    return best;
  }

  /** The commands a node applied, in order (empty entries left out). */
  commands(id: NodeId): string[] {
    return this.applied
      .get(id)!
      .filter((entry) => entry.command !== null)
      .map((entry) => entry.command as string);
  }

  /** Compacts `id`'s log at its applied index, with its applied entries as the snapshot data. */
  compact(id: NodeId): void {
    const applied = this.applied.get(id)!;
    const last = applied.at(-1);
    if (last === undefined) return;
    this.node(id).compact(last.index, applied.slice());
    this.drain(id);
  }
}
