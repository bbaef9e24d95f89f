import { type KvOp, KvStateMachine } from '../core/kv.js';
import { type Rng, createRng } from '../core/rng.js';
import type { HistoryEvent, HistoryEventType } from './history.js';

/**
 * Histories for tests and benchmarks. `generateLinearizableHistory` runs a true sequential object
 * and lets concurrent clients see it: each operation is invoked, takes effect at one instant (its
 * linearization point) and completes later, so the history is linearizable by construction. Clients
 * also time out (`info`), before or after their operation took effect, and a timed-out operation
 * that had not taken effect yet may still do so later, or never: Jepsen's indeterminacy.
 */
export interface GeneratorOptions {
  readonly seed: number;
  readonly operations: number;
  /** Concurrent client slots. A timed-out client is replaced by a new process, as in Jepsen. */
  readonly processes: number;
  /** `register`: read/write/cas on integers 0..4; `kv`: get/put/delete/cas/inc on `keys`. */
  readonly kind: 'register' | 'kv';
  readonly keys?: readonly string[];
  /** Chance that a client times out on an operation (its completion is `info`). */
  readonly infoProbability?: number;
  /** Whether kv histories include `range` reads over all keys. */
  readonly ranges?: boolean;
}

type SlotPhase = 'idle' | 'pending' | 'effected';

interface Slot {
  process: number;
  phase: SlotPhase;
  request?: Request;
  outcome?: { type: HistoryEventType; value: unknown };
}

interface Request {
  readonly f: string;
  readonly key?: string;
  readonly value: unknown;
}

interface SequentialObject {
  randomRequest(rng: Rng): Request;
  /** Applies the request now; the completion the client will see. */
  apply(request: Request): { type: 'ok' | 'fail'; value: unknown };
}

export function generateLinearizableHistory(options: GeneratorOptions): HistoryEvent[] {
  const rng = createRng(options.seed);
  const object = options.kind === 'register' ? registerObject() : kvObject(options);
  const infoProbability = options.infoProbability ?? 0.02;
  const slots: Slot[] = Array.from({ length: options.processes }, (_, process) => ({
    process,
    phase: 'idle',
  }));
  const ghosts: Request[] = [];
  const events: HistoryEvent[] = [];
  let invoked = 0;
  let time = 0;
  const emit = (slot: Slot, type: HistoryEventType, request: Request, value: unknown) => {
    time += rng.int(1, 3);
    events.push({
      process: slot.process,
      type,
      f: request.f,
      ...(request.key === undefined ? {} : { key: request.key }),
      value,
      time,
    });
  };
  while (invoked < options.operations || slots.some((slot) => slot.phase !== 'idle')) {
    // A timed-out operation that has not taken effect may still do so, at any later instant.
    if (ghosts.length > 0 && rng.chance(0.05))
      object.apply(ghosts.splice(rng.int(0, ghosts.length - 1), 1)[0] as Request);
    const slot = rng.pick(slots);
    if (slot.phase === 'idle') {
      if (invoked >= options.operations) continue;
      invoked++;
      slot.request = object.randomRequest(rng);
      slot.phase = 'pending';
      emit(slot, 'invoke', slot.request, slot.request.value);
      continue;
    }
    const request = slot.request as Request;
    if (rng.chance(infoProbability)) {
      // The client gives up. If the operation had not taken effect, it may later, or never.
      if (slot.phase === 'pending' && rng.chance(0.5)) ghosts.push(request);
      emit(slot, 'info', request, request.value);
      slot.phase = 'idle';
      slot.process += options.processes;
      continue;
    }
    if (slot.phase === 'pending') {
      slot.outcome = object.apply(request);
      slot.phase = 'effected';
      continue;
    }
    const outcome = slot.outcome as { type: HistoryEventType; value: unknown };
    emit(slot, outcome.type, request, outcome.value);
    slot.phase = 'idle';
  }
  return events;
}

function registerObject(): SequentialObject {
  let value: number | null = null;
  return {
    randomRequest(rng) {
      const roll = rng.int(0, 9);
      if (roll < 4) return { f: 'read', value: null };
      if (roll < 7) return { f: 'write', value: rng.int(0, 4) };
      return { f: 'cas', value: [rng.int(0, 4), rng.int(0, 4)] };
    },
    apply(request) {
      if (request.f === 'read') return { type: 'ok', value };
      if (request.f === 'write') {
        value = request.value as number;
        return { type: 'ok', value: request.value };
      }
      const [expected, next] = request.value as [number, number];
      if (value !== expected) return { type: 'fail', value: request.value };
      value = next;
      return { type: 'ok', value: request.value };
    },
  };
}

function kvObject(options: GeneratorOptions): SequentialObject {
  const store = new KvStateMachine();
  const keys = options.keys ?? ['a', 'b', 'c'];
  const text = (rng: Rng) => String(rng.int(0, 4));
  return {
    randomRequest(rng) {
      if (options.ranges === true && rng.chance(0.1))
        return { f: 'range', value: { start: rng.pick(keys) } };
      const key = rng.pick(keys);
      const roll = rng.int(0, 19);
      if (roll < 8) return { f: 'get', key, value: null };
      if (roll < 13) return { f: 'put', key, value: text(rng) };
      if (roll < 14) return { f: 'delete', key, value: null };
      if (roll < 17)
        return { f: 'cas', key, value: [rng.chance(0.2) ? null : text(rng), text(rng)] };
      return { f: 'inc', key, value: rng.int(1, 3) };
    },
    apply(request) {
      const result = store.apply(toKvOp(request));
      switch (result.f) {
        case 'get':
          return { type: 'ok', value: result.value };
        case 'range':
          return { type: 'ok', value: result.entries };
        case 'cas':
          return { type: result.succeeded ? 'ok' : 'fail', value: request.value };
        case 'inc':
          return result.error === undefined
            ? { type: 'ok', value: result.value }
            : { type: 'fail', value: request.value };
        default:
          return { type: 'ok', value: request.value };
      }
    },
  };
}

function toKvOp(request: Request): KvOp {
  const key = request.key as string;
  switch (request.f) {
    case 'get':
      return { f: 'get', key };
    case 'put':
      return { f: 'put', key, value: request.value as string };
    case 'delete':
      return { f: 'delete', key };
    case 'cas': {
      const [expected, value] = request.value as [string | null, string];
      return { f: 'cas', key, expected, value };
    }
    case 'inc':
      return { f: 'inc', key, delta: request.value as number };
    default:
      return { f: 'range', start: (request.value as { start: string }).start };
  }
}

/**
 * A history of a few operations with random intervals and random results: sometimes linearizable,
 * often not. For comparing the checker with the brute-force one.
 */
export function generateRandomHistory(options: {
  readonly seed: number;
  readonly operations: number;
  readonly processes: number;
  readonly kind: 'register' | 'kv';
}): HistoryEvent[] {
  const rng = createRng(options.seed);
  const events: HistoryEvent[] = [];
  const pending = new Map<number, Request>();
  let invoked = 0;
  while (invoked < options.operations || pending.size > 0) {
    const process = rng.int(0, options.processes - 1);
    const request = pending.get(process);
    if (request === undefined) {
      if (invoked >= options.operations) continue;
      invoked++;
      const next = randomSmallRequest(rng, options.kind);
      pending.set(process, next);
      events.push({
        process,
        type: 'invoke',
        f: next.f,
        ...(next.key === undefined ? {} : { key: next.key }),
        value: next.value,
      });
      continue;
    }
    pending.delete(process);
    // Leave some operations without a completion at the end: indeterminate too.
    if (invoked >= options.operations && rng.chance(0.2)) continue;
    const type = rng.pick<HistoryEventType>(['ok', 'ok', 'ok', 'fail', 'info']);
    const value = type === 'ok' ? randomResult(rng, request, options.kind) : request.value;
    events.push({
      process,
      type,
      f: request.f,
      ...(request.key === undefined ? {} : { key: request.key }),
      value,
    });
  }
  return events;
}

function randomSmallRequest(rng: Rng, kind: 'register' | 'kv'): Request {
  if (kind === 'register') {
    const f = rng.pick(['read', 'write', 'cas']);
    if (f === 'read') return { f, value: null };
    if (f === 'write') return { f, value: rng.int(0, 2) };
    return { f, value: [rng.int(0, 2), rng.int(0, 2)] };
  }
  const key = rng.pick(['x', 'y']);
  const f = rng.pick(['get', 'put', 'cas', 'inc', 'delete', 'range']);
  const small = () => String(rng.int(0, 2));
  switch (f) {
    case 'get':
    case 'delete':
      return { f, key, value: null };
    case 'put':
      return { f, key, value: small() };
    case 'cas':
      return { f, key, value: [rng.chance(0.3) ? null : small(), small()] };
    case 'inc':
      return { f, key, value: rng.int(1, 2) };
    default:
      return { f, value: { start: 'x' } };
  }
}

function randomResult(rng: Rng, request: Request, kind: 'register' | 'kv'): unknown {
  if (kind === 'register') return request.f === 'read' ? rng.pick([null, 0, 1, 2]) : request.value;
  switch (request.f) {
    case 'get':
      return rng.pick([null, '0', '1', '2', '3']);
    case 'inc':
      return rng.int(1, 5);
    case 'range': {
      const entries: [string, string][] = [];
      for (const key of ['x', 'y']) if (rng.chance(0.5)) entries.push([key, String(rng.int(0, 3))]);
      return entries;
    }
    default:
      return request.value;
  }
}

/**
 * The history as the log lines Jepsen's etcd test prints (`INFO  jepsen.util - 3\t:ok\t:read\t3`);
 * an `info` completion shows `:timed-out` instead of its value, as Jepsen's does.
 */
export function renderJepsenLog(history: readonly HistoryEvent[]): string {
  return history
    .map((event) => {
      const value = event.type === 'info' ? ':timed-out' : renderEdn(event.value ?? null);
      return `INFO  jepsen.util - ${event.process}\t:${event.type}\t:${event.f}\t${value}\n`;
    })
    .join('');
}

/** The history as Jepsen EDN, one map a line. */
export function renderJepsenEdn(history: readonly HistoryEvent[]): string {
  return history
    .map((event) => {
      const key = event.key === undefined ? '' : `, :key ${JSON.stringify(event.key)}`;
      return `{:process ${event.process}, :type :${event.type}, :f :${event.f}${key}, :value ${renderEdn(event.value ?? null)}}\n`;
    })
    .join('');
}

function renderEdn(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (Array.isArray(value)) return `[${value.map(renderEdn).join(' ')}]`;
  if (typeof value === 'object')
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([key, item]) => `:${key} ${renderEdn(item)}`)
      .join(', ')}}`;
  return JSON.stringify(value);
}
