import { assert } from '../core/assert.js';
import { type Clock, DriftingClock } from '../core/clock.js';
import type { NodeId } from '../core/ids.js';
import type {
  ClientRequest,
  ClientResponse,
  Envelope,
  ProtocolMessage,
  ProtocolNode,
  Ready,
} from '../core/protocol.js';
import type { Rng } from '../core/rng.js';
import { SimDisk } from './disk.js';

export type AnyNode = ProtocolNode<ProtocolMessage, unknown>;
export type NodeStatus = 'up' | 'paused' | 'crashed';

/** What a host needs from the simulation around it. */
export interface HostEnvironment {
  nowUs(): number;
  /** Schedules `host.completeFsync(fsyncId)` for `incarnation` at `doneUs`. */
  scheduleFsync(node: NodeId, incarnation: number, fsyncId: number, doneUs: number): void;
  fsyncLatencyUs(node: NodeId): number;
  send(envelopes: readonly Envelope<ProtocolMessage>[]): void;
  respond(node: NodeId, responses: readonly ClientResponse[]): void;
  /** Called for each drained batch before its effects are released (trace notes and persists). */
  onBatch(node: NodeId, batch: Ready<ProtocolMessage, unknown>): void;
  onSync(node: NodeId, ops: number): void;
}

/** An input that waits while its node is paused. */
export type BacklogInput =
  | {
      readonly kind: 'deliver';
      readonly id: number;
      readonly from: NodeId;
      readonly message: ProtocolMessage;
    }
  | { readonly kind: 'request'; readonly request: ClientRequest }
  | { readonly kind: 'tick' };

/** An fsync in flight and the output that waits for it. */
interface PendingFsync {
  readonly id: number;
  readonly upToOps: number;
  readonly doneUs: number;
  readonly messages: Envelope<ProtocolMessage>[];
  readonly responses: ClientResponse[];
}

/** A node's local clock whose skew a nemesis can change at run time (an NTP step). */
export class SkewableClock implements Clock {
  private clock: DriftingClock;

  constructor(
    private readonly trueTime: Clock,
    offsetUs: number,
    driftPpm: number,
  ) {
    this.clock = new DriftingClock(trueTime, offsetUs, driftPpm);
  }

  nowUs(): number {
    return this.clock.nowUs();
  }

  setSkew(offsetUs: number, driftPpm: number): void {
    this.clock = new DriftingClock(this.trueTime, offsetUs, driftPpm);
  }
}

/** Drained batches per input beyond this mean a protocol whose `hasReady` never turns false. */
const BATCHES_PER_INPUT_MAX = 10_000;

/**
 * One simulated machine: the protocol node (volatile, discarded on crash), its disk (durable), its
 * clock, its fsyncs in flight, and the inputs that queue up while it is paused. It drives the node
 * through the Ready contract: persist, fsync if asked, then release messages and responses.
 */
export class NodeHost {
  status: NodeStatus = 'crashed';
  node: AnyNode | undefined;
  /** Boots so far; events scheduled for an earlier incarnation are ignored. */
  incarnation = 0;
  readonly disk = new SimDisk();
  private fsyncs: PendingFsync[] = [];
  private nextFsyncId = 0;
  private backlog: BacklogInput[] = [];
  /** Ticks missed while paused collapse into one, as a timer does when its process stops. */
  private tickMissed = false;

  constructor(
    readonly id: NodeId,
    readonly clock: SkewableClock,
    private readonly env: HostEnvironment,
    private readonly create: (restored: readonly unknown[], incarnation: number) => AnyNode,
    private readonly backlogMax: number,
  ) {}

  get backlogSize(): number {
    return this.backlog.length;
  }

  boot(): void {
    assert(this.status === 'crashed', `node ${this.id} booted while ${this.status}`);
    this.incarnation++;
    this.node = this.create(this.disk.records(), this.incarnation);
    assert(this.node.id === this.id, `protocol created node ${this.node.id} for id ${this.id}`);
    this.status = 'up';
    this.drain();
  }

  /**
   * Kills the process: the node object, its fsyncs in flight (with the output waiting for them)
   * and its backlog are gone; the disk keeps what the page cache had flushed. Returns the backlog
   * and the lost op count so the caller can trace them.
   */
  crash(rng: Rng): { lostOps: number; backlog: BacklogInput[]; heldMessages: number } {
    assert(this.status !== 'crashed', `node ${this.id} crashed twice`);
    let heldMessages = 0;
    for (const fsync of this.fsyncs) heldMessages += fsync.messages.length;
    this.fsyncs = [];
    const backlog = this.backlog;
    this.backlog = [];
    this.tickMissed = false;
    this.node = undefined;
    this.status = 'crashed';
    return { lostOps: this.disk.crash(rng), backlog, heldMessages };
  }

  pause(): void {
    assert(this.status === 'up', `node ${this.id} paused while ${this.status}`);
    this.status = 'paused';
  }

  /** Runs the backlog in arrival order; returns the inputs it ran. */
  resume(onInput: (input: BacklogInput) => void): number {
    assert(this.status === 'paused', `node ${this.id} resumed while ${this.status}`);
    this.status = 'up';
    const backlog = this.backlog;
    this.backlog = [];
    if (this.tickMissed) backlog.push({ kind: 'tick' });
    this.tickMissed = false;
    for (const input of backlog) {
      onInput(input);
      this.apply(input);
    }
    return backlog.length;
  }

  /** Accepts an input now, or queues it while paused. Returns false when it was queued. */
  offer(input: BacklogInput): boolean {
    if (!(this.status !== 'crashed')) assert(false, `input offered to crashed node ${this.id}`);
    if (this.status === 'paused') {
      if (input.kind === 'tick') this.tickMissed = true;
      else {
        if (!(this.backlog.length < this.backlogMax))
          assert(false, `backlog of node ${this.id} is full`);
        this.backlog.push(input);
      }
      return false;
    }
    this.apply(input);
    return true;
  }

  /** Fast path for message delivery to a running node (no input object). */
  step(from: NodeId, message: ProtocolMessage): void {
    this.node!.step(from, message);
    this.drain();
  }

  completeFsync(fsyncId: number): void {
    const fsync = this.fsyncs[0];
    if (!(fsync !== undefined && fsync.id === fsyncId))
      assert(false, `fsync ${fsyncId} completed out of order`);
    this.fsyncs.shift();
    this.env.onSync(this.id, this.disk.sync(fsync.upToOps));
    if (fsync.messages.length > 0) this.env.send(fsync.messages);
    if (fsync.responses.length > 0) this.env.respond(this.id, fsync.responses);
  }

  private apply(input: BacklogInput): void {
    const node = this.node!;
    if (input.kind === 'deliver') node.step(input.from, input.message);
    else if (input.kind === 'tick') node.tick();
    else {
      if (!(node.request !== undefined)) assert(false, `node ${this.id} takes no client requests`);
      node.request(input.request);
    }
    this.drain();
  }

  private drain(): void {
    const node = this.node!;
    let batches = 0;
    while (node.hasReady()) {
      if (!(++batches <= BATCHES_PER_INPUT_MAX))
        assert(false, `node ${this.id} never runs out of ready batches`);
      this.release(node.ready());
    }
  }

  private release(batch: Ready<ProtocolMessage, unknown>): void {
    this.env.onBatch(this.id, batch);
    if (batch.persist.length > 0) this.disk.write(batch.persist);
    const mustWait = batch.sync && (batch.persist.length > 0 || this.fsyncs.length > 0);
    if (!mustWait) {
      if (batch.messages.length > 0) this.env.send(batch.messages);
      if (batch.responses.length > 0) this.env.respond(this.id, batch.responses);
      return;
    }
    const fsync =
      batch.persist.length > 0
        ? this.startFsync()
        : (this.fsyncs[this.fsyncs.length - 1] as PendingFsync);
    for (const message of batch.messages) fsync.messages.push(message);
    for (const response of batch.responses) fsync.responses.push(response);
  }

  /** Fsyncs complete in the order they started, as they would on one file. */
  private startFsync(): PendingFsync {
    const previous = this.fsyncs[this.fsyncs.length - 1];
    const earliestUs = this.env.nowUs() + this.env.fsyncLatencyUs(this.id);
    const doneUs = previous === undefined ? earliestUs : Math.max(earliestUs, previous.doneUs);
    const fsync: PendingFsync = {
      id: this.nextFsyncId++,
      upToOps: this.disk.writtenOpCount,
      doneUs,
      messages: [],
      responses: [],
    };
    this.fsyncs.push(fsync);
    this.env.scheduleFsync(this.id, this.incarnation, fsync.id, doneUs);
    return fsync;
  }
}
