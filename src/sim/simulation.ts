import { assert, unreachable } from '../core/assert.js';
import type { Clock } from '../core/clock.js';
import { type NodeId, nodeIds } from '../core/ids.js';
import type { KvOp } from '../core/kv.js';
import type {
  ClientResponse,
  ClusterView,
  Envelope,
  InvariantChecker,
  NodeInspection,
  ProtocolMessage,
  Ready,
} from '../core/protocol.js';
import { type Rng, createRng } from '../core/rng.js';
import type { History, Verdict } from '../check/history.js';
import { checkHistory } from '../check/index.js';
import { Clients } from './clients.js';
import type { SimConfig } from './config.js';
import { EventQueue } from './event-queue.js';
import { type NemesisAction, type NodeSelector, generateSchedule } from './nemesis.js';
import { Network, sampleLatencyUs } from './network.js';
import { type AnyNode, type BacklogInput, NodeHost, SkewableClock } from './node-host.js';
import { type AnyProtocolDefinition, findProtocol } from './registry.js';
import { TRACE_FORMAT_VERSION, type TraceEvent, type TraceSinks, Tracer } from './trace.js';

const DELIVER = 0;
const TICK = 1;
const FSYNC = 2;
const CLIENT_WAKE = 3;
const CLIENT_TIMEOUT = 4;
const NEMESIS = 5;

/**
 * One scheduled event. A single shape for every kind keeps the heap monomorphic (fast); `node`,
 * `from`, `id` and `payload` mean different things per kind, documented at each `schedule*`.
 */
class SimEvent {
  seq = 0;
  constructor(
    public timeUs: number,
    readonly kind: number,
    readonly node: number,
    readonly from: number,
    readonly id: number,
    readonly payload: unknown,
  ) {}
}

export interface SimViolation {
  readonly kind: 'invariant' | 'linearizability';
  readonly message: string;
  readonly atUs: number;
  readonly invariant?: string;
  readonly nodes?: readonly NodeId[];
  /** The checker's own report (for linearizability: the failing operations and explanation). */
  readonly details?: unknown;
}

export interface LinearizabilityOutcome {
  readonly verdict: Verdict;
  /** Why the verdict is unknown, or the checker's explanation of a violation. */
  readonly explanation?: string;
  readonly details?: unknown;
}

/** The linearizability checker the simulation calls at the end of a KV run. */
export type LinearizabilityCheck = (
  history: History,
  options: { maxSteps?: number; timeoutMs?: number },
) => LinearizabilityOutcome;

export interface SimStats {
  events: number;
  sends: number;
  deliveries: number;
  drops: number;
  duplicates: number;
  ticks: number;
  fsyncs: number;
  crashes: number;
  restarts: number;
  pauses: number;
  invocations: number;
  completionsOk: number;
  completionsFail: number;
  completionsInfo: number;
}

export interface RunResult {
  readonly seed: number;
  readonly protocol: string;
  readonly variant: string;
  /** False when any check failed. An `unknown` linearizability verdict alone keeps it true. */
  readonly ok: boolean;
  readonly violation?: SimViolation;
  /** The verdict on the client history; absent when the protocol serves no clients or the check was off. */
  readonly linearizability?: LinearizabilityOutcome;
  readonly endUs: number;
  readonly stats: Readonly<SimStats>;
  readonly history: History;
}

export interface SimulationOptions extends TraceSinks {
  /** A protocol that is not in the registry (benchmarks, test protocols). */
  readonly definition?: AnyProtocolDefinition;
  /** Replaces the default checker (`checkHistory` from src/check). */
  readonly checkLinearizability?: LinearizabilityCheck;
}

export interface NodeSnapshot {
  readonly id: NodeId;
  readonly status: 'up' | 'paused' | 'crashed';
  readonly incarnation: number;
  readonly backlog: number;
  /** Undefined while crashed. */
  readonly inspection: NodeInspection | undefined;
}

const TICK_INPUT: BacklogInput = { kind: 'tick' };

/**
 * The simulator's true time. Core's `ManualClock` checks every advance with a formatted message;
 * this one is on the hot path, so `step` checks monotonicity itself and builds no strings.
 */
class VirtualClock implements Clock {
  private timeUs = 0;

  nowUs(): number {
    return this.timeUs;
  }

  advanceTo(timeUs: number): void {
    if (timeUs < this.timeUs) assert(false, `time went backwards: ${timeUs} < ${this.timeUs}`);
    this.timeUs = timeUs;
  }
}

/**
 * A deterministic run of one protocol: virtual time, one event at a time. The CLI calls `run()`;
 * the visualizer calls `step()` and `runUntil()`, reads `nodes()`, and injects faults and client
 * operations with `inject()` and `submit()`.
 */
export class Simulation {
  readonly definition: AnyProtocolDefinition;
  readonly members: readonly NodeId[];
  readonly stats: SimStats = {
    events: 0,
    sends: 0,
    deliveries: 0,
    drops: 0,
    duplicates: 0,
    ticks: 0,
    fsyncs: 0,
    crashes: 0,
    restarts: 0,
    pauses: 0,
    invocations: 0,
    completionsOk: 0,
    completionsFail: 0,
    completionsInfo: 0,
  };
  private readonly clock = new VirtualClock();
  private readonly queue = new EventQueue<SimEvent>();
  private readonly tracer: Tracer;
  private readonly network: Network;
  private readonly hosts: NodeHost[] = [];
  private readonly clients: Clients | undefined;
  private readonly checker: InvariantChecker<AnyNode>;
  private readonly view: { timeUs: number; nodes: { id: NodeId; node: AnyNode | undefined }[] };
  private readonly tickRngs: Rng[];
  private readonly diskRngs: Rng[];
  private readonly fsyncRng: Rng;
  private readonly nemesisRng: Rng;
  private readonly lastStates: (string | undefined)[];
  private inFlight = 0;
  private nextMessageId = 1;
  private violationFound: SimViolation | undefined;
  private result: RunResult | undefined;

  constructor(
    readonly config: SimConfig,
    private readonly options: SimulationOptions = {},
  ) {
    this.definition = options.definition ?? findProtocol(config.protocol);
    this.members = nodeIds(config.nodes);
    this.tracer = new Tracer(options);
    const root = createRng(config.seed);
    this.network = new Network(config.network, config.nodes, root.split('network'));
    this.nemesisRng = root.split('nemesis-runtime');
    this.fsyncRng = root.split('fsync');
    this.tickRngs = this.members.map((id) => root.split(`ticks:${id}`));
    this.diskRngs = this.members.map((id) => root.split(`disk:${id}`));
    this.lastStates = this.members.map(() => undefined);
    this.checker = this.definition.createInvariantChecker(config.variant);
    this.view = { timeUs: 0, nodes: this.members.map((id) => ({ id, node: undefined })) };
    this.createHosts(root);
    this.clients = this.createClients(root);
    this.emitHeader();
    for (const host of this.hosts) this.restartNode(host);
    this.afterEvent();
    const schedule = generateSchedule(
      config.nemesis,
      this.members,
      config.durationUs,
      root.split('nemesis'),
    );
    for (const { atUs, action } of schedule) this.schedule(atUs, NEMESIS, -1, -1, -1, action);
    this.clients?.start();
  }

  get nowUs(): number {
    return this.clock.nowUs();
  }

  get done(): boolean {
    return this.result !== undefined || this.violationFound !== undefined;
  }

  get violation(): SimViolation | undefined {
    return this.violationFound;
  }

  /** The client history so far. */
  get history(): History {
    return this.clients?.history ?? [];
  }

  /** Time of the next event, or undefined when the run is over. */
  nextEventUs(): number | undefined {
    const next = this.queue.peek();
    if (next === undefined || next.timeUs > this.config.durationUs || this.done) return undefined;
    return next.timeUs;
  }

  /** Runs one event. False when the run is over (end of time, or a violation). */
  step(): boolean {
    if (this.done) return false;
    const event = this.queue.peek();
    if (event === undefined || event.timeUs > this.config.durationUs) return false;
    this.queue.pop();
    this.clock.advanceTo(event.timeUs);
    this.stats.events++;
    this.dispatch(event);
    this.afterEvent();
    return !this.done;
  }

  /** Runs every event up to and including `timeUs`, then sets the clock there. */
  runUntil(timeUs: number): void {
    const limitUs = Math.min(timeUs, this.config.durationUs);
    for (;;) {
      const next = this.queue.peek();
      if (this.done || next === undefined || next.timeUs > limitUs) break;
      this.step();
    }
    if (!this.done && limitUs > this.clock.nowUs()) this.clock.advanceTo(limitUs);
  }

  /** Runs to the end of the configured duration and checks the history. */
  run(): RunResult {
    while (this.step());
    if (this.violationFound === undefined) this.runUntil(this.config.durationUs);
    return this.finish();
  }

  /** Ends the run now: the final checks, the `end` event, the result. Idempotent. */
  finish(): RunResult {
    if (this.result !== undefined) return this.result;
    const linearizability = this.checkHistory();
    const violation = this.violationFound;
    this.result = {
      seed: this.config.seed,
      protocol: this.config.protocol,
      variant: this.config.variant,
      ok: violation === undefined,
      ...(violation === undefined ? {} : { violation }),
      ...(linearizability === undefined ? {} : { linearizability }),
      endUs: this.clock.nowUs(),
      stats: { ...this.stats },
      history: this.history,
    };
    if (this.tracer.enabled)
      this.tracer.emit({
        t: this.clock.nowUs(),
        type: 'end',
        ok: this.result.ok,
        linearizability: linearizability?.verdict ?? null,
        stats: { ...this.stats },
      });
    return this.result;
  }

  nodes(): NodeSnapshot[] {
    return this.hosts.map((host) => ({
      id: host.id,
      status: host.status,
      incarnation: host.incarnation,
      backlog: host.backlogSize,
      inspection: host.node?.inspect(),
    }));
  }

  /** The live protocol node, for tests and the visualizer; undefined while crashed. */
  node(id: NodeId): AnyNode | undefined {
    return this.hosts[id]?.node;
  }

  /** Applies a nemesis action now. Returns whether it changed anything. */
  inject(action: NemesisAction): boolean {
    assert(!this.done, 'the run is over');
    const applied = this.applyAction(action);
    this.afterEvent();
    return applied;
  }

  /** A client operation submitted by hand; returns its request id. KV protocols only. */
  submit(node: NodeId, op: KvOp): number {
    assert(this.clients !== undefined, `${this.definition.name} serves no clients`);
    assert(!this.done, 'the run is over');
    const id = this.clients.submit(node, op);
    this.afterEvent();
    return id;
  }

  private createHosts(root: Rng): void {
    const skews = new Map(this.config.clocks.map((skew) => [skew.node, skew]));
    for (const id of this.members) {
      const skew = skews.get(id);
      const clock = new SkewableClock(this.clock, skew?.offsetUs ?? 0, skew?.driftPpm ?? 0);
      const nodeRng = root.split(`node:${id}`);
      const create = (restored: readonly unknown[], incarnation: number): AnyNode =>
        this.definition.create({
          id,
          members: this.members,
          variant: this.config.variant,
          rng: nodeRng.split(`incarnation:${incarnation}`),
          clock,
          restored,
          options: this.config.options,
        });
      this.hosts.push(
        new NodeHost(id, clock, this.hostEnvironment, create, this.config.backlogMax),
      );
    }
  }

  private createClients(root: Rng): Clients | undefined {
    // With `count` 0 there are no client processes, but `submit` still works (the visualizer).
    if (this.definition.serves !== 'kv') return undefined;
    return new Clients(this.config.clients, this.members, root.split('clients'), {
      nowUs: () => this.clock.nowUs(),
      scheduleWake: (slot, atUs) => this.schedule(atUs, CLIENT_WAKE, slot, -1, -1, undefined),
      scheduleTimeout: (slot, requestId, atUs) =>
        this.schedule(atUs, CLIENT_TIMEOUT, slot, -1, requestId, undefined),
      send: (node, request) => {
        const host = this.hosts[node]!;
        if (host.status === 'crashed') return false;
        host.offer({ kind: 'request', request });
        return true;
      },
      onInvoke: (process, request, node) => {
        this.stats.invocations++;
        if (this.tracer.enabled)
          this.tracer.emit({
            t: this.clock.nowUs(),
            type: 'invoke',
            process,
            request: request.id,
            node,
            op: request.op,
          });
      },
      onComplete: (process, request, node, outcome, detail) => {
        if (outcome === 'ok') this.stats.completionsOk++;
        else if (outcome === 'fail') this.stats.completionsFail++;
        else this.stats.completionsInfo++;
        if (this.tracer.enabled)
          this.tracer.emit({
            t: this.clock.nowUs(),
            type: 'complete',
            process,
            request,
            node,
            outcome,
            ...detail,
          });
      },
    });
  }

  private readonly hostEnvironment = {
    nowUs: (): number => this.clock.nowUs(),
    scheduleFsync: (node: NodeId, incarnation: number, fsyncId: number, doneUs: number): void =>
      this.schedule(doneUs, FSYNC, node, incarnation, fsyncId, undefined),
    fsyncLatencyUs: (): number => sampleLatencyUs(this.config.disk.fsyncLatency, this.fsyncRng),
    send: (envelopes: readonly Envelope<ProtocolMessage>[]): void => {
      for (const envelope of envelopes) this.sendMessage(envelope);
    },
    respond: (node: NodeId, responses: readonly ClientResponse[]): void => {
      if (this.clients === undefined) return;
      for (const response of responses) this.clients.respond(node, response);
    },
    onBatch: (node: NodeId, batch: Ready<ProtocolMessage, unknown>): void => {
      if (!this.tracer.enabled) return;
      const t = this.clock.nowUs();
      for (const note of batch.notes)
        this.tracer.emit({
          t,
          type: 'note',
          node,
          kind: note.kind,
          text: note.text,
          ...(note.data === undefined ? {} : { data: note.data }),
        });
      if (batch.persist.length > 0)
        this.tracer.emit({
          t,
          type: 'persist',
          node,
          ops: batch.persist.map((op) => ({ kind: op.kind, records: op.records.length })),
          sync: batch.sync,
        });
    },
    onSync: (node: NodeId, ops: number): void => {
      this.stats.fsyncs++;
      if (this.tracer.enabled) this.tracer.emit({ t: this.clock.nowUs(), type: 'sync', node, ops });
    },
  };

  private schedule(
    timeUs: number,
    kind: number,
    node: number,
    from: number,
    id: number,
    payload: unknown,
  ): void {
    this.queue.push(new SimEvent(timeUs, kind, node, from, id, payload));
  }

  private dispatch(event: SimEvent): void {
    switch (event.kind) {
      case DELIVER:
        this.deliver(event);
        return;
      case TICK:
        this.tick(event.node, event.from);
        return;
      case FSYNC: {
        const host = this.hosts[event.node]!;
        if (host.incarnation === event.from && host.status !== 'crashed')
          host.completeFsync(event.id);
        return;
      }
      case CLIENT_WAKE:
        this.clients!.wake(event.node);
        return;
      case CLIENT_TIMEOUT:
        this.clients!.timeout(event.node, event.id);
        return;
      case NEMESIS:
        this.applyAction(event.payload as NemesisAction);
        return;
      default:
        assert(false, `unknown event kind ${event.kind}`);
    }
  }

  private sendMessage(envelope: Envelope<ProtocolMessage>): void {
    const { from, to, message } = envelope;
    if (!(to >= 0 && to < this.hosts.length)) assert(false, `message to unknown node ${to}`);
    const id = this.nextMessageId++;
    this.stats.sends++;
    const network = this.network;
    if (this.inFlight >= this.config.network.inFlightMessagesMax)
      return this.drop(id, from, to, message, 'overload');
    if (network.isCut(from, to)) return this.drop(id, from, to, message, 'partition');
    if (network.lost(from, to)) return this.drop(id, from, to, message, 'loss');
    const now = this.clock.nowUs();
    const deliverAt = now + network.delayUs(from, to);
    this.inFlight++;
    this.schedule(deliverAt, DELIVER, to, from, id, message);
    if (this.tracer.enabled)
      this.tracer.emit({ t: now, type: 'send', id, from, to, message, deliverAt });
    if (!network.duplicated()) return;
    const copyId = this.nextMessageId++;
    const copyAt = now + network.delayUs(from, to);
    this.inFlight++;
    this.stats.duplicates++;
    this.schedule(copyAt, DELIVER, to, from, copyId, message);
    if (this.tracer.enabled)
      this.tracer.emit({
        t: now,
        type: 'duplicate',
        id: copyId,
        of: id,
        from,
        to,
        message,
        deliverAt: copyAt,
      });
  }

  private drop(
    id: number,
    from: NodeId,
    to: NodeId,
    message: unknown,
    reason: 'loss' | 'partition' | 'crashed' | 'overload',
  ): void {
    this.stats.drops++;
    if (this.tracer.enabled)
      this.tracer.emit({ t: this.clock.nowUs(), type: 'drop', id, from, to, message, reason });
  }

  private deliver(event: SimEvent): void {
    this.inFlight--;
    const to = event.node;
    const from = event.from;
    const message = event.payload as ProtocolMessage;
    // A link cut while the message was in flight drops it too (iptables drops on arrival).
    if (this.network.hasCuts && this.network.isCut(from, to))
      return this.drop(event.id, from, to, message, 'partition');
    const host = this.hosts[to]!;
    if (host.status === 'crashed') return this.drop(event.id, from, to, message, 'crashed');
    if (host.status === 'paused') {
      host.offer({ kind: 'deliver', id: event.id, from, message });
      return;
    }
    this.stats.deliveries++;
    if (this.tracer.enabled)
      this.tracer.emit({ t: this.clock.nowUs(), type: 'deliver', id: event.id, from, to, message });
    host.step(from, message);
  }

  private tick(node: NodeId, incarnation: number): void {
    const host = this.hosts[node]!;
    if (host.incarnation !== incarnation || host.status === 'crashed') return; // that process is gone
    this.stats.ticks++;
    host.offer(TICK_INPUT);
    this.schedule(
      this.clock.nowUs() + this.config.tickIntervalUs,
      TICK,
      node,
      incarnation,
      -1,
      undefined,
    );
  }

  private crashNode(host: NodeHost): void {
    const { lostOps, backlog } = host.crash(this.diskRngs[host.id]!);
    this.stats.crashes++;
    this.view.nodes[host.id]!.node = undefined;
    this.lastStates[host.id] = undefined;
    if (this.tracer.enabled)
      this.tracer.emit({ t: this.clock.nowUs(), type: 'crash', node: host.id, lostOps });
    for (const input of backlog)
      if (input.kind === 'deliver')
        this.drop(input.id, input.from, host.id, input.message, 'crashed');
    this.clients?.nodeCrashed(host.id);
  }

  private restartNode(host: NodeHost): void {
    if (host.incarnation > 0) this.stats.restarts++;
    if (this.tracer.enabled && host.incarnation > 0)
      this.tracer.emit({
        t: this.clock.nowUs(),
        type: 'restart',
        node: host.id,
        incarnation: host.incarnation + 1,
        restoredRecords: host.disk.records().length,
      });
    host.boot();
    this.view.nodes[host.id]!.node = host.node;
    const phaseUs = this.tickRngs[host.id]!.int(1, this.config.tickIntervalUs);
    this.schedule(this.clock.nowUs() + phaseUs, TICK, host.id, host.incarnation, -1, undefined);
  }

  private pauseNode(host: NodeHost): void {
    host.pause();
    this.stats.pauses++;
    if (this.tracer.enabled)
      this.tracer.emit({ t: this.clock.nowUs(), type: 'pause', node: host.id });
  }

  private resumeNode(host: NodeHost): void {
    if (this.tracer.enabled)
      this.tracer.emit({
        t: this.clock.nowUs(),
        type: 'resume',
        node: host.id,
        backlog: host.backlogSize,
      });
    host.resume((input) => {
      if (input.kind !== 'deliver') return;
      this.stats.deliveries++;
      if (this.tracer.enabled)
        this.tracer.emit({
          t: this.clock.nowUs(),
          type: 'deliver',
          id: input.id,
          from: input.from,
          to: host.id,
          message: input.message,
        });
    });
  }

  /** Applies one nemesis action; returns whether it changed anything. */
  private applyAction(action: NemesisAction): boolean {
    const applied = this.performAction(action);
    if (this.tracer.enabled)
      this.tracer.emit({ t: this.clock.nowUs(), type: 'nemesis', action, applied });
    return applied;
  }

  private performAction(action: NemesisAction): boolean {
    switch (action.type) {
      case 'partition':
        return this.partition(action.sides, `sides ${describeSides(action.sides)}`);
      case 'isolate': {
        const nodes = this.select(action.nodes);
        if (nodes.length === 0) return false;
        return this.partition([nodes], `isolate ${nodes.join(',')}`);
      }
      case 'bridge':
        return this.bridge(action.bridge, action.sides);
      case 'cut':
        this.network.cutLink(action.from, action.to);
        this.emitPartition(`cut ${action.from}->${action.to}`);
        return true;
      case 'heal':
        if (!this.network.hasCuts) return false;
        this.network.heal();
        if (this.tracer.enabled) this.tracer.emit({ t: this.clock.nowUs(), type: 'heal' });
        return true;
      case 'crash':
        return this.forEachNode(action.nodes, 'up-or-paused', (host) => this.crashNode(host));
      case 'restart':
        return this.forEachNode(action.nodes, 'crashed', (host) => this.restartNode(host));
      case 'pause':
        return this.forEachNode(action.nodes, 'up', (host) => this.pauseNode(host));
      case 'resume':
        return this.forEachNode(action.nodes, 'paused', (host) => this.resumeNode(host));
      case 'skew':
        return this.skew(action.node, action.offsetUs, action.driftPpm);
      case 'storm':
        this.network.startStorm(action);
        if (this.tracer.enabled) this.tracer.emit({ t: this.clock.nowUs(), ...action });
        return true;
      case 'calm':
        this.network.endStorm();
        if (this.tracer.enabled) this.tracer.emit({ t: this.clock.nowUs(), type: 'calm' });
        return true;
      default:
        return unreachable(action, 'nemesis action');
    }
  }

  private skew(node: NodeId, offsetUs: number, driftPpm: number): boolean {
    const host = this.hosts[node];
    if (host === undefined) return false;
    host.clock.setSkew(offsetUs, driftPpm);
    if (this.tracer.enabled)
      this.tracer.emit({ t: this.clock.nowUs(), type: 'skew', node, offsetUs, driftPpm });
    return true;
  }

  private forEachNode(
    selector: NodeSelector,
    status: 'up' | 'paused' | 'crashed' | 'up-or-paused',
    action: (host: NodeHost) => void,
  ): boolean {
    let applied = false;
    for (const id of this.select(selector)) {
      const host = this.hosts[id];
      if (host === undefined) continue;
      const matches =
        status === 'up-or-paused' ? host.status !== 'crashed' : host.status === status;
      if (!matches) continue;
      action(host);
      applied = true;
    }
    return applied;
  }

  /** Cuts every link between different sides (nodes in no side form one more side). */
  private partition(sides: readonly (readonly NodeId[])[], description: string): boolean {
    const sideOf = this.members.map(() => sides.length);
    sides.forEach((side, index) => {
      for (const id of side) if (id < sideOf.length) sideOf[id] = index;
    });
    this.network.heal();
    for (const from of this.members)
      for (const to of this.members)
        if (sideOf[from] !== sideOf[to]) this.network.cutLink(from, to);
    this.emitPartition(description);
    return true;
  }

  private bridge(bridge: NodeId, sides: readonly [readonly NodeId[], readonly NodeId[]]): boolean {
    this.network.heal();
    for (const a of sides[0])
      for (const b of sides[1])
        if (a !== bridge && b !== bridge && a !== b) {
          this.network.cutLink(a, b);
          this.network.cutLink(b, a);
        }
    this.emitPartition(`bridge ${bridge} between ${describeSides(sides)}`);
    return true;
  }

  private emitPartition(description: string): void {
    if (this.tracer.enabled)
      this.tracer.emit({
        t: this.clock.nowUs(),
        type: 'partition',
        cut: this.network.cutList(),
        description,
      });
  }

  /** Resolves a selector against the cluster now, drawing from the nemesis's runtime stream. */
  private select(selector: NodeSelector): NodeId[] {
    if (typeof selector !== 'string') return [...selector];
    switch (selector) {
      case 'all':
        return [...this.members];
      case 'crashed':
        return this.hosts.filter((host) => host.status === 'crashed').map((host) => host.id);
      case 'paused':
        return this.hosts.filter((host) => host.status === 'paused').map((host) => host.id);
      case 'leader': {
        const leader = this.currentLeader();
        return leader === undefined ? [] : [leader];
      }
      case 'random-one':
        return [this.nemesisRng.pick(this.members)];
      case 'random-minority': {
        const size = Math.floor((this.members.length - 1) / 2);
        if (size === 0) return [];
        return this.nemesisRng
          .shuffle(this.members)
          .slice(0, this.nemesisRng.int(1, size))
          .sort((a, b) => a - b);
      }
    }
  }

  /** A live node that says it is the leader, else the leader most live nodes believe in. */
  currentLeader(): NodeId | undefined {
    const votes = new Map<NodeId, number>();
    for (const host of this.hosts) {
      if (host.node === undefined) continue;
      const inspection = host.node.inspect();
      if (inspection.role === 'leader') return host.id;
      const leader = inspection.leader;
      if (typeof leader === 'number') votes.set(leader, (votes.get(leader) ?? 0) + 1);
    }
    let best: NodeId | undefined;
    let bestVotes = 0;
    for (const [id, count] of votes)
      if (count > bestVotes || (count === bestVotes && best !== undefined && id < best)) {
        best = id;
        bestVotes = count;
      }
    return best;
  }

  /** Invariants after every event; state changes when tracing. */
  private afterEvent(): void {
    if (this.violationFound !== undefined) return;
    this.view.timeUs = this.clock.nowUs();
    const broken = this.checker.check(this.view as ClusterView<AnyNode>);
    if (this.tracer.enabled) this.traceStateChanges();
    if (broken === undefined) return;
    this.violationFound = {
      kind: 'invariant',
      invariant: broken.invariant,
      message: broken.message,
      atUs: this.clock.nowUs(),
      ...(broken.nodes === undefined ? {} : { nodes: broken.nodes }),
    };
    if (this.tracer.enabled)
      this.tracer.emit({
        t: this.clock.nowUs(),
        type: 'violation',
        kind: 'invariant',
        invariant: broken.invariant,
        message: broken.message,
        ...(broken.nodes === undefined ? {} : { nodes: broken.nodes }),
      });
  }

  private traceStateChanges(): void {
    for (const host of this.hosts) {
      if (host.node === undefined) continue;
      const inspection = host.node.inspect();
      const state = {
        role: inspection.role,
        epoch: inspection.epoch ?? null,
        leader: inspection.leader ?? null,
      };
      const key = JSON.stringify(state);
      if (key === this.lastStates[host.id]) continue;
      this.lastStates[host.id] = key;
      this.tracer.emit({ t: this.clock.nowUs(), type: 'state', node: host.id, ...state });
    }
  }

  private checkHistory(): LinearizabilityOutcome | undefined {
    const { linearizability } = this.config;
    if (this.clients === undefined || !linearizability.enabled) return undefined;
    if (this.violationFound !== undefined) return undefined; // the run already failed
    const check = this.options.checkLinearizability ?? defaultLinearizabilityCheck;
    const outcome = check(this.clients.history, {
      ...(linearizability.maxSteps === undefined ? {} : { maxSteps: linearizability.maxSteps }),
      ...(linearizability.timeoutMs === undefined ? {} : { timeoutMs: linearizability.timeoutMs }),
    });
    if (outcome.verdict === 'not linearizable') {
      this.violationFound = {
        kind: 'linearizability',
        message: outcome.explanation ?? 'the client history is not linearizable',
        atUs: this.clock.nowUs(),
        ...(outcome.details === undefined ? {} : { details: outcome.details }),
      };
      if (this.tracer.enabled)
        this.tracer.emit({
          t: this.clock.nowUs(),
          type: 'violation',
          kind: 'linearizability',
          message: this.violationFound.message,
        });
    }
    return outcome;
  }

  private emitHeader(): void {
    if (!this.tracer.enabled) return;
    const header: TraceEvent = {
      t: 0,
      type: 'header',
      format: 'synod-trace',
      version: TRACE_FORMAT_VERSION,
      seed: this.config.seed,
      protocol: this.config.protocol,
      variant: this.config.variant,
      nodes: this.members,
      config: this.config,
    };
    this.tracer.emit(header);
  }
}

function describeSides(sides: readonly (readonly NodeId[])[]): string {
  return sides.map((side) => `{${side.join(',')}}`).join(' | ');
}

const defaultLinearizabilityCheck: LinearizabilityCheck = (history, options) => {
  const result = checkHistory(history, { model: 'kv', ...options });
  return {
    verdict: result.verdict,
    ...(result.violation === undefined
      ? result.exhausted === undefined
        ? {}
        : { explanation: `search budget exhausted (${result.exhausted})` }
      : { explanation: result.violation.explanation, details: result.violation }),
  };
};
