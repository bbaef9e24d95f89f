import { describe, expect, it } from 'vitest';
import { type KvCommand, ReplicatedKv } from './replicated-kv.js';
import { ScriptedLog } from './testing/scripted-log.js';

describe('ReplicatedKv', () => {
  it('answers a write when its command is applied at the node that took the request', () => {
    const engine = new ScriptedLog<KvCommand>(1);
    const kv = new ReplicatedKv(engine);
    kv.request({ id: 7, op: { f: 'put', key: 'a', value: '1' } });
    expect(kv.ready().responses).toEqual([]);
    engine.commit(1, null); // a new leader's empty entry
    engine.commit(2, engine.proposals[0]!);
    expect(kv.ready().responses).toEqual([
      { id: 7, outcome: 'ok', result: { f: 'put', previous: null } },
    ]);
    expect(kv.state.get('a')).toBe('1');
  });

  it('applies commands proposed elsewhere without answering for them', () => {
    const engine = new ScriptedLog<KvCommand>(1);
    const kv = new ReplicatedKv(engine);
    engine.commit(1, { origin: 3, requestId: 7, op: { f: 'put', key: 'a', value: 'x' } });
    expect(kv.ready().responses).toEqual([]);
    expect(kv.state.get('a')).toBe('x');
  });

  it('serves a read once the applied index reaches its barrier, not before', () => {
    const engine = new ScriptedLog<KvCommand>(1);
    const kv = new ReplicatedKv(engine);
    kv.request({ id: 1, op: { f: 'get', key: 'a' } });
    expect(engine.barriers).toEqual([1]);
    engine.resolveBarrier(1, 1);
    expect(kv.ready().responses).toEqual([]);
    engine.commit(1, { origin: 2, requestId: 9, op: { f: 'put', key: 'a', value: 'v' } });
    expect(kv.ready().responses).toEqual([
      { id: 1, outcome: 'ok', result: { f: 'get', value: 'v' } },
    ]);
  });

  it('sends reads through the log when the engine has no barrier', () => {
    const engine = new ScriptedLog<KvCommand>(1);
    engine.barrierSupported = false;
    const kv = new ReplicatedKv(engine);
    kv.request({ id: 4, op: { f: 'get', key: 'a' } });
    expect(engine.proposals).toHaveLength(1);
  });

  it('fails at once, with a leader hint, when the engine cannot take the request', () => {
    const engine = new ScriptedLog<KvCommand>(1);
    engine.isLeader = false;
    const kv = new ReplicatedKv(engine);
    kv.request({ id: 5, op: { f: 'put', key: 'a', value: '1' } });
    expect(kv.ready().responses).toEqual([
      { id: 5, outcome: 'fail', error: 'not the leader', leaderHint: 2 },
    ]);
  });

  it('refuses a gap in the committed entries', () => {
    const engine = new ScriptedLog<KvCommand>(1);
    const kv = new ReplicatedKv(engine);
    engine.commit(2, null);
    expect(() => kv.ready()).toThrow(/gap/);
  });

  it('hands the engine a snapshot every N applied entries', () => {
    const engine = new ScriptedLog<KvCommand>(1);
    const kv = new ReplicatedKv(engine, { snapshotEveryEntries: 2, pendingRequestsMax: 10 });
    engine.commit(1, { origin: 2, requestId: 1, op: { f: 'put', key: 'k', value: 'v' } });
    engine.commit(2, null);
    kv.ready();
    expect(engine.compactions).toEqual([{ index: 2, snapshot: [['k', 'v']] }]);
  });

  it('compacts one period behind when asked, keeping the entries a lagging follower needs', () => {
    const engine = new ScriptedLog<KvCommand>(1);
    const kv = new ReplicatedKv(engine, {
      snapshotEveryEntries: 2,
      pendingRequestsMax: 10,
      compactOnePeriodBehind: true,
    });
    engine.commit(1, { origin: 2, requestId: 1, op: { f: 'put', key: 'k', value: 'v' } });
    engine.commit(2, null);
    kv.ready();
    expect(engine.compactions).toEqual([]);
    engine.commit(3, { origin: 2, requestId: 2, op: { f: 'put', key: 'k', value: 'w' } });
    engine.commit(4, null);
    kv.ready();
    // The snapshot taken at 2 reaches the engine only now, unchanged by the put at 3.
    expect(engine.compactions).toEqual([{ index: 2, snapshot: [['k', 'v']] }]);
  });

  it('bounds the requests waiting at a node', () => {
    const engine = new ScriptedLog<KvCommand>(1);
    const kv = new ReplicatedKv(engine, { snapshotEveryEntries: 0, pendingRequestsMax: 1 });
    kv.request({ id: 1, op: { f: 'put', key: 'a', value: '1' } });
    kv.request({ id: 2, op: { f: 'put', key: 'a', value: '2' } });
    expect(kv.ready().responses).toEqual([
      { id: 2, outcome: 'fail', error: 'too many pending requests' },
    ]);
  });
});
