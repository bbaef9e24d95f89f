import { describe, expect, test } from 'vitest';
import { MvccStore } from './store.js';
import { put } from './test-support.js';
import type { ApplyResult, MvccEvent } from './types.js';

function eventsOf(result: ApplyResult): readonly MvccEvent[] {
  expect(result.ok).toBe(true);
  return result.events;
}

describe('watch events', () => {
  test('a put produces a PUT event with the new kv and the previous one', () => {
    const store = new MvccStore();
    expect(eventsOf(store.apply({ type: 'put', request: { key: 'a', value: '1' } }))).toEqual([
      {
        type: 'PUT',
        kv: { key: 'a', createRevision: 2, modRevision: 2, version: 1, value: '1', lease: 0 },
      },
    ]);
    expect(eventsOf(store.apply({ type: 'put', request: { key: 'a', value: '2' } }))).toEqual([
      {
        type: 'PUT',
        kv: { key: 'a', createRevision: 2, modRevision: 3, version: 2, value: '2', lease: 0 },
        prevKv: { key: 'a', createRevision: 2, modRevision: 2, version: 1, value: '1', lease: 0 },
      },
    ]);
  });

  test('a delete produces a DELETE event: key and revision only, and the deleted kv', () => {
    const store = new MvccStore();
    put(store, 'a', '1');
    expect(eventsOf(store.apply({ type: 'deleteRange', request: { key: 'a' } }))).toEqual([
      {
        type: 'DELETE',
        kv: { key: 'a', createRevision: 0, modRevision: 3, version: 0, value: '', lease: 0 },
        prevKv: { key: 'a', createRevision: 2, modRevision: 2, version: 1, value: '1', lease: 0 },
      },
    ]);
  });

  test('every event of one txn has the same revision; a no-op produces none', () => {
    const store = new MvccStore();
    put(store, 'c', '1');
    const events = eventsOf(
      store.apply({
        type: 'txn',
        request: {
          success: [
            { requestPut: { key: 'a', value: '1' } },
            { requestDeleteRange: { key: 'c' } },
            { requestPut: { key: 'b', value: '1' } },
          ],
        },
      }),
    );
    expect(events.map((event) => [event.type, event.kv.key, event.kv.modRevision])).toEqual([
      ['PUT', 'a', 3],
      ['DELETE', 'c', 3],
      ['PUT', 'b', 3],
    ]);
    expect(eventsOf(store.apply({ type: 'deleteRange', request: { key: 'zz' } }))).toEqual([]);
  });
});

describe('eventsSince', () => {
  function history(): { store: MvccStore; all: MvccEvent[] } {
    const store = new MvccStore();
    const all: MvccEvent[] = [];
    const run = (result: ApplyResult) => all.push(...eventsOf(result));
    run(store.apply({ type: 'put', request: { key: 'a', value: '1' } })); // 2
    run(store.apply({ type: 'put', request: { key: 'b', value: '1' } })); // 3
    run(
      store.apply({
        type: 'txn',
        request: {
          success: [
            { requestPut: { key: 'b', value: '2' } },
            { requestPut: { key: 'a', value: '2' } },
          ],
        },
      }),
    ); // 4
    run(store.apply({ type: 'deleteRange', request: { key: 'a', rangeEnd: 'c' } })); // 5
    run(store.apply({ type: 'put', request: { key: 'c', value: '1' } })); // 6
    return { store, all };
  }

  test('replays exactly the events apply produced, in revision then sub-revision order', () => {
    const { store, all } = history();
    expect(store.eventsSince('a', '\0', 1)).toEqual({ ok: true, events: all });
    expect(store.eventsSince('\0', '\0', 4)).toEqual({ ok: true, events: all.slice(2) });
  });

  test('filters by key range', () => {
    const { store, all } = history();
    const onlyB = all.filter((event) => event.kv.key === 'b');
    expect(store.eventsSince('b', undefined, 0)).toEqual({ ok: true, events: onlyB });
    expect(store.eventsSince('a', 'b', 5)).toEqual({
      ok: true,
      events: all.filter((e) => e.kv.key === 'a' && e.kv.modRevision >= 5),
    });
  });

  test('a start after the current revision gives nothing', () => {
    expect(history().store.eventsSince('a', '\0', 7)).toEqual({ ok: true, events: [] });
  });
});
