import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MvccErrors } from './errors.js';
import { MvccStore } from './store.js';
import type { Compare, KeyValue, MvccCommand, MvccEvent, RequestOp, TxnRequest } from './types.js';
import { validateTxnRequest } from './validate.js';

/**
 * The reference model: the full key-value map at every revision, kept forever (compaction only
 * moves the line below which reads are refused). Everything is recomputed the obvious way, so a
 * disagreement with MvccStore points at a bug in one of the clever parts (histories, index,
 * compaction, snapshots).
 */
type State = Map<string, KeyValue>;

class Model {
  states: State[] = [new Map(), new Map()]; // index = revision; revision 1 is the empty start
  // etcd starts at -1, so the first compaction may even be at revision 0.
  compacted = -1;
  leases = new Set<number>();
  /** Every event ever produced, in order. */
  events: MvccEvent[] = [];

  get revision(): number {
    return this.states.length - 1;
  }

  get current(): State {
    return this.states[this.revision] as State;
  }

  /** Runs writes against a copy; commits one revision if anything changed. */
  write(run: (state: State, revision: number, events: MvccEvent[]) => void): MvccEvent[] {
    const state = new Map(this.current);
    const events: MvccEvent[] = [];
    run(state, this.revision + 1, events);
    if (events.length > 0) this.states.push(state);
    this.events.push(...events);
    return events;
  }
}

function inRange(key: string, start: string, end: string | undefined): boolean {
  if (end === undefined || end === '') return key === start;
  if (end === '\0') return key >= start;
  return key >= start && key < end;
}

function modelPut(
  state: State,
  revision: number,
  events: MvccEvent[],
  key: string,
  value: string,
  lease: number,
) {
  const previous = state.get(key);
  const kv = {
    key,
    createRevision: previous?.createRevision ?? revision,
    modRevision: revision,
    version: (previous?.version ?? 0) + 1,
    value,
    lease,
  };
  state.set(key, kv);
  events.push(previous === undefined ? { type: 'PUT', kv } : { type: 'PUT', kv, prevKv: previous });
}

function modelDelete(
  state: State,
  revision: number,
  events: MvccEvent[],
  start: string,
  end?: string,
) {
  for (const key of [...state.keys()].sort()) {
    if (!inRange(key, start, end)) continue;
    const prevKv = state.get(key) as KeyValue;
    state.delete(key);
    const kv = { key, createRevision: 0, modRevision: revision, version: 0, value: '', lease: 0 };
    events.push({ type: 'DELETE', kv, prevKv });
  }
}

function compareHolds(state: State, compare: Compare): boolean {
  const kvs = [...state.values()].filter((kv) => inRange(kv.key, compare.key, compare.rangeEnd));
  if (kvs.length === 0 && compare.target === 'VALUE') return false;
  const zero = {
    key: compare.key,
    createRevision: 0,
    modRevision: 0,
    version: 0,
    value: '',
    lease: 0,
  };
  return (kvs.length === 0 ? [zero] : kvs).every((kv) => {
    const [actual, expected] =
      compare.target === 'VALUE'
        ? [kv.value, compare.value ?? '']
        : [kv.version, compare.version ?? 0];
    if (compare.result === 'EQUAL') return actual === expected;
    if (compare.result === 'NOT_EQUAL') return actual !== expected;
    if (compare.result === 'GREATER') return actual > expected;
    return actual < expected;
  });
}

function modelTxnOps(
  before: State,
  state: State,
  revision: number,
  events: MvccEvent[],
  txn: TxnRequest,
) {
  const ops = (txn.compare ?? []).every((compare) => compareHolds(before, compare))
    ? txn.success
    : txn.failure;
  for (const op of ops ?? []) {
    if (op.requestPut)
      modelPut(state, revision, events, op.requestPut.key, op.requestPut.value ?? '', 0);
    if (op.requestDeleteRange) {
      modelDelete(
        state,
        revision,
        events,
        op.requestDeleteRange.key,
        op.requestDeleteRange.rangeEnd,
      );
    }
    if (op.requestTxn) modelTxnOps(before, state, revision, events, op.requestTxn);
  }
}

const keys = fc.constantFrom('a', 'b', 'c', 'a\x00', '\x00', '\xff', 'b\xff');
const ends = fc.constantFrom(undefined, '', '\0', 'b', 'c', '\xff', 'a\x00');
const values = fc.constantFrom('', 'x', 'y', '\x00\xff');
const putOp = fc
  .record({ key: keys, value: values })
  .map((requestPut): RequestOp => ({ requestPut }));
const deleteOp = fc
  .record({ key: keys, rangeEnd: ends })
  .map((requestDeleteRange): RequestOp => ({ requestDeleteRange }));
const compare = fc.oneof(
  fc.record({
    key: keys,
    target: fc.constant('VALUE' as const),
    result: fc.constantFrom('EQUAL', 'NOT_EQUAL', 'GREATER', 'LESS' as const),
    value: values,
  }),
  fc.record({
    key: keys,
    rangeEnd: ends,
    target: fc.constant('VERSION' as const),
    result: fc.constantFrom('EQUAL', 'GREATER', 'LESS' as const),
    version: fc.integer({ min: 0, max: 3 }),
  }),
);
const flatOps = fc.array(fc.oneof(putOp, deleteOp, putOp), { maxLength: 4 });
const txnRequest = fc
  .record({
    compare: fc.array(compare, { maxLength: 2 }),
    success: flatOps,
    failure: flatOps,
    nested: fc.option(
      fc.record({
        compare: fc.array(compare, { maxLength: 1 }),
        success: flatOps,
        failure: flatOps,
      }),
    ),
  })
  .map(({ nested, ...txn }): TxnRequest =>
    nested === null ? txn : { ...txn, success: [...txn.success, { requestTxn: nested }] },
  );

type LeasePut = {
  kind: 'leasePut';
  key: string;
  value: string;
  lease: number;
  ignoreValue: boolean;
  ignoreLease: boolean;
  prevKv: boolean;
};

type Step =
  | { kind: 'command'; command: MvccCommand }
  | LeasePut
  | { kind: 'grant' | 'revoke'; id: number }
  | { kind: 'compact'; back: number }
  | { kind: 'read'; key: string; rangeEnd: string | undefined; back: number; limit: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: putOp.map((op): Step => ({
      kind: 'command',
      command: { type: 'put', request: op.requestPut as never },
    })),
  },
  {
    weight: 2,
    arbitrary: deleteOp.map((op): Step => ({
      kind: 'command',
      command: { type: 'deleteRange', request: op.requestDeleteRange as never },
    })),
  },
  {
    weight: 2,
    arbitrary: txnRequest.map((request): Step => ({
      kind: 'command',
      command: { type: 'txn', request },
    })),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: -1, max: 6 }).map((back): Step => ({ kind: 'compact', back })),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({
        key: keys,
        value: values,
        lease: fc.integer({ min: 0, max: 2 }),
        ignoreValue: fc.boolean(),
        ignoreLease: fc.boolean(),
        prevKv: fc.boolean(),
      })
      .map((put): Step => ({ kind: 'leasePut', ...put })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({
        kind: fc.constantFrom('grant' as const, 'grant' as const, 'revoke' as const),
        id: fc.integer({ min: 1, max: 2 }),
      })
      .map((lease): Step => lease),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({
        key: keys,
        rangeEnd: ends,
        back: fc.integer({ min: -1, max: 8 }),
        limit: fc.integer({ min: 0, max: 3 }),
      })
      .map((read): Step => ({ kind: 'read', ...read })),
  },
);

function checkRead(store: MvccStore, model: Model, read: Extract<Step, { kind: 'read' }>) {
  const revision = model.revision - read.back;
  const outcome = store.range({
    key: read.key,
    rangeEnd: read.rangeEnd,
    revision,
    limit: read.limit,
  });
  if (revision > model.revision)
    return expect(outcome).toEqual({ ok: false, error: MvccErrors.futureRevision });
  if (revision > 0 && revision < model.compacted)
    return expect(outcome).toEqual({ ok: false, error: MvccErrors.compacted });
  const state = model.states[revision <= 0 ? model.revision : revision] as State;
  const all = [...state.values()]
    .filter((kv) => inRange(kv.key, read.key, read.rangeEnd))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
  const kvs = read.limit > 0 ? all.slice(0, read.limit) : all;
  expect(outcome).toEqual({
    ok: true,
    response: {
      header: { revision: model.revision },
      kvs,
      more: kvs.length < all.length,
      count: all.length,
    },
  });
}

function runLeasePut(store: MvccStore, model: Model, each: LeasePut) {
  const request = {
    key: each.key,
    value: each.ignoreValue ? '' : each.value,
    lease: each.ignoreLease ? 0 : each.lease,
    ignoreValue: each.ignoreValue,
    ignoreLease: each.ignoreLease,
    prevKv: each.prevKv,
  };
  const result = store.apply({ type: 'put', request });
  const previous = model.current.get(each.key);
  if (request.lease !== 0 && !model.leases.has(request.lease)) {
    return expect(result).toEqual({ ok: false, error: MvccErrors.leaseNotFound, events: [] });
  }
  if ((each.ignoreValue || each.ignoreLease) && previous === undefined) {
    return expect(result).toEqual({ ok: false, error: MvccErrors.keyNotFound, events: [] });
  }
  const value = each.ignoreValue ? (previous?.value ?? '') : request.value;
  const lease = each.ignoreLease ? (previous?.lease ?? 0) : request.lease;
  const events = model.write((state, revision, produced) =>
    modelPut(state, revision, produced, each.key, value, lease),
  );
  const header = { revision: model.revision };
  const response =
    each.prevKv && previous !== undefined ? { header, prevKv: previous } : { header };
  expect(result).toEqual({ ok: true, response: { type: 'put', response }, events });
}

function runLease(store: MvccStore, model: Model, each: { kind: 'grant' | 'revoke'; id: number }) {
  if (each.kind === 'grant') {
    const result = store.apply({ type: 'leaseGrant', request: { id: each.id, ttl: 10 } });
    expect(result.ok).toBe(!model.leases.has(each.id));
    model.leases.add(each.id);
    return;
  }
  const result = store.apply({ type: 'leaseRevoke', request: { id: each.id } });
  if (!model.leases.has(each.id)) return expect(result.ok).toBe(false);
  model.leases.delete(each.id);
  const events = model.write((state, revision, produced) => {
    for (const kv of [...state.values()].sort((a, b) => (a.key < b.key ? -1 : 1))) {
      if (kv.lease === each.id) modelDelete(state, revision, produced, kv.key);
    }
  });
  expect(result.events).toEqual(events);
}

function checkLeases(store: MvccStore, model: Model) {
  expect(store.leases().map((lease) => lease.id)).toEqual([...model.leases].sort());
  for (const id of model.leases) {
    const attached = [...model.current.values()]
      .filter((kv) => kv.lease === id)
      .map((kv) => kv.key);
    expect(store.leaseKeys(id)).toEqual(attached.sort());
  }
}

function runStep(store: MvccStore, model: Model, each: Step) {
  if (each.kind === 'read') return checkRead(store, model, each);
  if (each.kind === 'leasePut') return runLeasePut(store, model, each);
  if (each.kind === 'compact') {
    const revision = model.revision - each.back;
    const result = store.apply({ type: 'compaction', request: { revision } });
    if (revision <= model.compacted || revision > model.revision)
      return expect(result.ok).toBe(false);
    model.compacted = revision;
    return expect(result.ok).toBe(true);
  }
  if (each.kind !== 'command') return runLease(store, model, each);
  const command = each.command;
  const result = store.apply(command);
  if (command.type === 'txn' && validateTxnRequest(command.request) !== undefined) {
    return expect(result).toEqual({ ok: false, error: MvccErrors.duplicateKey, events: [] });
  }
  const before = model.current;
  const events = model.write((state, revision, produced) => {
    if (command.type === 'put')
      modelPut(state, revision, produced, command.request.key, command.request.value ?? '', 0);
    if (command.type === 'deleteRange')
      modelDelete(state, revision, produced, command.request.key, command.request.rangeEnd);
    if (command.type === 'txn') modelTxnOps(before, state, revision, produced, command.request);
  });
  expect(result.ok).toBe(true);
  expect(result.events).toEqual(events);
  expect(store.currentRevision).toBe(model.revision);
}

describe('MvccStore against the every-revision reference model', () => {
  test('property: any sequence of puts (with leases, ignore flags, prevKv), deletes, txns, lease grants and revokes, compactions and reads agrees with the model', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 100, size: 'max' }), (steps) => {
        const store = new MvccStore();
        const model = new Model();
        for (const each of steps) {
          runStep(store, model, each);
          expect(store.currentRevision).toBe(model.revision);
          checkLeases(store, model);
        }
        // A snapshot taken at the end restores to a store that reads every retained revision the same.
        const restored = new MvccStore();
        restored.restore(JSON.parse(JSON.stringify(store.snapshot())));
        checkLeases(restored, model);
        for (let revision = Math.max(1, model.compacted); revision <= model.revision; revision++) {
          checkRead(restored, model, {
            kind: 'read',
            key: '\0',
            rangeEnd: '\0',
            back: model.revision - revision,
            limit: 0,
          });
        }
        // Replaying history from just above the compaction gives the events in order.
        // Compaction keeps every change above it, and the version each one replaced.
        const start = model.compacted + 1;
        const retained = model.events.filter((event) => event.kv.modRevision >= start);
        expect(store.eventsSince('\0', '\0', start)).toEqual({ ok: true, events: retained });
      }),
      { numRuns: Number(process.env.MVCC_PROPERTY_RUNS ?? 400) },
    );
  });
});
