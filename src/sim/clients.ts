import { assert } from '../core/assert.js';
import type { NodeId } from '../core/ids.js';
import type { KvOp, KvResult } from '../core/kv.js';
import type { ClientRequest, ClientResponse } from '../core/protocol.js';
import type { Rng } from '../core/rng.js';
import type { HistoryEvent } from '../check/history.js';
import type { ClientConfig } from './config.js';

/** What the clients need from the simulation. */
export interface ClientEnvironment {
  nowUs(): number;
  scheduleWake(slot: number, atUs: number): void;
  scheduleTimeout(slot: number, requestId: number, atUs: number): void;
  /** Hands the request to the node; false when the node is down (connection refused). */
  send(node: NodeId, request: ClientRequest): boolean;
  onInvoke(process: number, request: ClientRequest, node: NodeId): void;
  onComplete(
    process: number,
    requestId: number,
    node: NodeId,
    outcome: 'ok' | 'fail' | 'info',
    detail: { result?: unknown; error?: string },
  ): void;
}

interface Pending {
  readonly requestId: number;
  /** Where its invocation sits in `events`. */
  readonly invokeIndex: number;
  readonly op: KvOp;
  readonly node: NodeId;
}

/** One sequential client process (Jepsen's `:process`); `slot` is its place, `process` its current id. */
interface ClientProcess {
  readonly slot: number;
  process: number;
  node: NodeId;
  readonly rng: Rng;
  pending: Pending | undefined;
  /** The last value this process saw per key: a plausible `expected` for its next cas. */
  readonly seen: Map<string, string | null>;
}

/** An operation submitted by hand; it is its own process. */
interface InteractiveWaiter {
  readonly interactive: number;
  readonly op: KvOp;
  readonly node: NodeId;
  readonly invokeIndex: number;
}

/** Process ids from here on belong to operations submitted by hand (the visualizer). */
export const INTERACTIVE_PROCESS_BASE = 1_000_000_000;

/**
 * The client processes of a run and the history they record. Each process issues one operation at
 * a time against the node it is attached to, waits for the answer or its timeout, thinks, and
 * goes again. An operation whose outcome is unknown (timeout, crashed node) ends `info`, and the
 * process continues under a new id (`process + count`), so every process stays sequential.
 */
export class Clients {
  /** Recorded events; an operation dropped from the history leaves holes (undefined). */
  private readonly events: (HistoryEvent | undefined)[] = [];
  private historyCache: HistoryEvent[] | undefined;
  private readonly processes: ClientProcess[] = [];
  /** Which process waits for each request in flight. */
  private readonly waiting = new Map<number, ClientProcess | InteractiveWaiter>();
  private nextRequestId = 1;
  private nextValue = 1;
  private issued = 0;
  private nextInteractive = INTERACTIVE_PROCESS_BASE;

  constructor(
    private readonly config: ClientConfig,
    private readonly members: readonly NodeId[],
    rng: Rng,
    private readonly env: ClientEnvironment,
  ) {
    for (let slot = 0; slot < config.count; slot++)
      this.processes.push({
        slot,
        process: slot,
        node: members[slot % members.length]!,
        rng: rng.split(`process:${slot}`),
        pending: undefined,
        seen: new Map(),
      });
  }

  /** The history for the checker: every operation except those dropped (see `record`). */
  get history(): HistoryEvent[] {
    this.historyCache ??= this.events.filter((event): event is HistoryEvent => event !== undefined);
    return this.historyCache;
  }

  start(): void {
    for (const client of this.processes) this.scheduleNext(client);
  }

  get inFlight(): number {
    return this.waiting.size;
  }

  wake(slot: number): void {
    const client = this.processes[slot];
    if (!(client !== undefined && client.pending === undefined))
      assert(false, `bad wake of client ${slot}`);
    if (this.config.operationsMax > 0 && this.issued >= this.config.operationsMax) return;
    this.issued++;
    const op = this.nextOp(client);
    const requestId = this.nextRequestId++;
    const invokeIndex = this.invoke(client.process, requestId, op, client.node);
    client.pending = { requestId, invokeIndex, op, node: client.node };
    this.waiting.set(requestId, client);
    this.env.scheduleTimeout(slot, requestId, this.env.nowUs() + this.config.timeoutUs);
    if (!this.env.send(client.node, { id: requestId, op }))
      this.finish(client, 'fail', undefined, 'connection refused');
  }

  timeout(slot: number, requestId: number): void {
    const client = this.processes[slot]!;
    if (client.pending?.requestId !== requestId) return; // answered in time
    this.finish(client, 'info', undefined, 'timeout');
  }

  /** A node answered. Answers nobody waits for (after a timeout) are ignored. */
  respond(node: NodeId, response: ClientResponse): void {
    const waiter = this.waiting.get(response.id);
    if (waiter === undefined) return;
    if ('interactive' in waiter) {
      this.waiting.delete(response.id);
      const outcome = response.outcome;
      const type = this.record(
        waiter.interactive,
        outcome,
        waiter.op,
        waiter.invokeIndex,
        response.outcome === 'ok' ? response.result : undefined,
      );
      this.env.onComplete(
        waiter.interactive,
        response.id,
        node,
        type,
        response.outcome === 'ok' ? { result: response.result } : { error: response.error },
      );
      return;
    }
    if (response.outcome === 'fail') {
      this.finish(waiter, 'fail', undefined, response.error, response.leaderHint);
      return;
    }
    this.finish(waiter, 'ok', response.result);
  }

  /** The node crashed: every operation waiting on it has an unknown outcome now. */
  nodeCrashed(node: NodeId): void {
    for (const [requestId, waiter] of [...this.waiting]) {
      if ('interactive' in waiter) {
        if (waiter.node !== node) continue;
        this.waiting.delete(requestId);
        this.record(waiter.interactive, 'info', waiter.op, waiter.invokeIndex, undefined);
        this.env.onComplete(waiter.interactive, requestId, node, 'info', { error: 'node crashed' });
      } else if (waiter.pending?.node === node) {
        this.finish(waiter, 'info', undefined, 'node crashed');
      }
    }
  }

  /** An operation submitted by hand (the visualizer): its own process, no timeout. */
  submit(node: NodeId, op: KvOp): number {
    const requestId = this.nextRequestId++;
    const process = this.nextInteractive++;
    const invokeIndex = this.invoke(process, requestId, op, node);
    this.waiting.set(requestId, { interactive: process, op, node, invokeIndex });
    if (!this.env.send(node, { id: requestId, op })) {
      this.waiting.delete(requestId);
      const type = this.record(process, 'fail', op, invokeIndex, undefined);
      this.env.onComplete(process, requestId, node, type, { error: 'connection refused' });
    }
    return requestId;
  }

  private invoke(process: number, requestId: number, op: KvOp, node: NodeId): number {
    this.historyCache = undefined;
    const invokeIndex = this.events.length;
    this.events.push({
      process,
      type: 'invoke',
      f: op.f,
      ...keyOf(op),
      value: invokeValue(op),
      time: this.env.nowUs(),
    });
    this.env.onInvoke(process, { id: requestId, op }, node);
    return invokeIndex;
  }

  private finish(
    client: ClientProcess,
    outcome: 'ok' | 'fail' | 'info',
    result: KvResult | undefined,
    error?: string,
    leaderHint?: NodeId,
  ): void {
    const pending = client.pending;
    if (!(pending !== undefined)) assert(false, `client ${client.slot} finished twice`);
    client.pending = undefined;
    this.waiting.delete(pending.requestId);
    const type = this.record(client.process, outcome, pending.op, pending.invokeIndex, result);
    this.remember(client, pending.op, type, result);
    this.env.onComplete(client.process, pending.requestId, pending.node, type, {
      ...(result === undefined ? {} : { result }),
      ...(error === undefined ? {} : { error }),
    });
    if (type === 'info') client.process += this.config.count;
    this.move(client, outcome, leaderHint);
    this.scheduleNext(client, outcome === 'ok' ? 0 : this.config.backoffUs);
  }

  /** After trouble, try another node: the hinted leader, or the next one round-robin. */
  private move(client: ClientProcess, outcome: 'ok' | 'fail' | 'info', leaderHint?: NodeId): void {
    if (outcome === 'ok') return;
    if (
      leaderHint !== undefined &&
      this.config.followLeaderHint &&
      this.members.includes(leaderHint)
    ) {
      client.node = leaderHint;
      return;
    }
    const index = this.members.indexOf(client.node);
    client.node = this.members[(index + 1) % this.members.length]!;
  }

  /**
   * Appends the completion with Synod's history conventions and returns the type recorded: a cas
   * whose compare failed and an inc on a non-integer are `fail` (no effect). The checker reads a
   * `fail` cas as "the compare failed: it observed another value", so a cas the node refused
   * without executing it (not the leader, connection refused) must not be recorded as one: it
   * observed nothing and did nothing, so it is dropped from the history (invocation included).
   */
  private record(
    process: number,
    outcome: 'ok' | 'fail' | 'info',
    op: KvOp,
    invokeIndex: number,
    result: KvResult | undefined,
  ): 'ok' | 'fail' | 'info' {
    this.historyCache = undefined;
    if (outcome === 'fail' && op.f === 'cas') {
      this.events[invokeIndex] = undefined;
      return 'fail';
    }
    let type = outcome;
    let value: unknown = invokeValue(op);
    if (outcome === 'ok' && result !== undefined) {
      if (result.f === 'cas' && !result.succeeded) type = 'fail';
      else if (result.f === 'inc' && result.error !== undefined) type = 'fail';
      else value = okValue(op, result);
    }
    this.events.push({ process, type, f: op.f, ...keyOf(op), value, time: this.env.nowUs() });
    return type;
  }

  private remember(
    client: ClientProcess,
    op: KvOp,
    type: string,
    result: KvResult | undefined,
  ): void {
    if (op.f === 'range' || result === undefined) return;
    if (result.f === 'get') client.seen.set(op.key, result.value);
    else if (result.f === 'cas') client.seen.set(op.key, result.current);
    else if (op.f === 'put' && type === 'ok') client.seen.set(op.key, op.value);
    else if (op.f === 'delete' && type === 'ok') client.seen.set(op.key, null);
    else if (result.f === 'inc' && result.value !== null)
      client.seen.set(op.key, String(result.value));
  }

  private scheduleNext(client: ClientProcess, backoffUs = 0): void {
    const thinkUs = client.rng.int(this.config.thinkUsMin, this.config.thinkUsMax);
    // At least a microsecond: a process answered at once must not spin in zero virtual time.
    this.env.scheduleWake(client.slot, this.env.nowUs() + Math.max(1, backoffUs + thinkUs));
  }

  private nextOp(client: ClientProcess): KvOp {
    const { rng } = client;
    const key = `k${rng.int(0, this.config.keys - 1)}`;
    const mix = this.config.mix;
    let draw = rng.next() * (mix.get + mix.put + mix.delete + mix.cas + mix.inc);
    // Values are unique decimal integers, so `inc` applies to any value and every write is traceable.
    if ((draw -= mix.get) < 0) return { f: 'get', key };
    if ((draw -= mix.put) < 0) return { f: 'put', key, value: String(this.nextValue++) };
    if ((draw -= mix.delete) < 0) return { f: 'delete', key };
    if ((draw -= mix.cas) < 0) {
      const expected = client.seen.get(key) ?? null;
      return { f: 'cas', key, expected, value: String(this.nextValue++) };
    }
    return { f: 'inc', key, delta: 1 };
  }
}

function keyOf(op: KvOp): { key?: string } {
  return op.f === 'range' ? {} : { key: op.key };
}

/** History conventions (docs/history-format.md): what an invocation records as its argument. */
export function invokeValue(op: KvOp): unknown {
  switch (op.f) {
    case 'get':
    case 'delete':
      return null;
    case 'put':
      return op.value;
    case 'cas':
      return [op.expected, op.value];
    case 'inc':
      return op.delta;
    case 'range':
      return { start: op.start, end: op.end ?? null, limit: op.limit ?? null };
  }
}

/** What an `ok` completion records as its value. */
export function okValue(op: KvOp, result: KvResult): unknown {
  switch (result.f) {
    case 'get':
      return result.value;
    case 'inc':
      return result.value;
    case 'range':
      return result.entries;
    default:
      return invokeValue(op);
  }
}
