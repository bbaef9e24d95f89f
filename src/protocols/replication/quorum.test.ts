import { describe, expect, it } from 'vitest';
import { ballot } from '../../core/ballot.js';
import { ReplicationCluster } from './harness.js';
import { parseReplicationOptions } from './options.js';
import { EMPTY_COPY, RegisterStore } from './register-store.js';

const copy = (value: string, round: number, node: number) => ({
  value,
  version: ballot(round, node),
  seq: round,
});

describe('how a replica takes a write', () => {
  it('majority: the last write to arrive overwrites, whatever it is', () => {
    const store = new RegisterStore('majority');
    store.onWrite('a', copy('new', 0, 0));
    store.onWrite('a', copy('old', 0, 0));
    expect(store.copyOf('a').value).toBe('old');
  });

  it('lww: a lower timestamp is ignored but still acknowledged', () => {
    const store = new RegisterStore('lww');
    store.onWrite('a', copy('new', 5, 1));
    const answer = store.onWrite('a', copy('old', 4, 2));
    expect(answer.ok).toBe(true);
    expect(answer.record).toBeUndefined();
    expect(store.copyOf('a').value).toBe('new');
  });

  it('prepared: a pre-read is recorded only with a higher ballot', () => {
    const store = new RegisterStore('prepared');
    expect(store.onRead('a', ballot(2, 1)).ok).toBe(true);
    expect(store.onRead('a', ballot(2, 1)).ok).toBe(false);
    expect(store.onRead('a', ballot(1, 9)).ok).toBe(false);
    expect(store.onRead('a', undefined)).toMatchObject({ ok: true, copy: EMPTY_COPY });
  });

  it('prepared: only the writer of the last recorded pre-read may write', () => {
    const store = new RegisterStore('prepared');
    store.onRead('a', ballot(3, 2));
    expect(store.onWrite('a', copy('x', 2, 0)).ok).toBe(false);
    expect(store.onWrite('a', copy('y', 3, 2)).ok).toBe(true);
    expect(store.copyOf('a').value).toBe('y');
  });

  it('a restarted replica resumes its clock above every round it holds', () => {
    const store = new RegisterStore('lww');
    const answer = store.onWrite('a', copy('x', 7, 1));
    const restored = new RegisterStore('lww');
    if (answer.record !== undefined) restored.restore(answer.record);
    expect(restored.highestRound()).toBe(7);
  });
});

describe('the quorum coordinator', () => {
  it('answers a read from a majority while a minority is down', () => {
    const cluster = new ReplicationCluster({ variant: 'lww', nodes: 3 });
    cluster.crash(2);
    cluster.request(0, 1, { f: 'put', key: 'a', value: 'x' });
    cluster.deliverAll();
    cluster.request(1, 2, { f: 'get', key: 'a' });
    cluster.deliverAll();
    expect(cluster.responses.get(2)).toEqual({
      id: 2,
      outcome: 'ok',
      result: { f: 'get', value: 'x' },
    });
  });

  it('leaves an operation without a majority unanswered and forgets it after the timeout', () => {
    const cluster = new ReplicationCluster({
      variant: 'majority',
      nodes: 3,
      options: { operationTimeoutTicks: 3 },
    });
    cluster.crash(1);
    cluster.crash(2);
    cluster.request(0, 1, { f: 'put', key: 'a', value: 'x' });
    cluster.tick([0], 4);
    expect(cluster.responses.has(1)).toBe(false);
    expect(cluster.node(0).inspect().state.operations).toEqual([]);
  });

  it('prepared: a refused pre-read is retried with a higher ballot after a random backoff', () => {
    const cluster = new ReplicationCluster({ variant: 'prepared', nodes: 3 });
    cluster.request(0, 1, { f: 'inc', key: 'i', delta: 1 });
    cluster.request(2, 2, { f: 'inc', key: 'i', delta: 1 });
    cluster.deliver({ type: 'read' });
    cluster.deliver({ type: 'read-reply' });
    cluster.deliverAll();
    for (let round = 0; round < 10; round++) {
      cluster.tick();
      cluster.deliverAll();
    }
    const values = [1, 2].map((id) => cluster.responses.get(id));
    // One increment lands; the other is refused in phase 1 (retried) or in phase 2 (outcome unknown).
    expect(values.filter((response) => response?.outcome === 'ok').length).toBeGreaterThanOrEqual(
      1,
    );
    expect(cluster.violations).toEqual([]);
  });

  it('refuses range reads: the quorum strategies replicate one register per key', () => {
    const cluster = new ReplicationCluster({ variant: 'prepared', nodes: 3 });
    cluster.request(0, 1, { f: 'range', start: 'a' });
    expect(cluster.responses.get(1)?.outcome).toBe('fail');
  });
});

describe('options', () => {
  it('the default strategy fixes its primary unless failover is asked for', () => {
    expect(parseReplicationOptions('default', {}).failoverTicks).toBe(0);
    expect(parseReplicationOptions('async', {}).failoverTicks).toBe(10);
    expect(parseReplicationOptions('default', { failoverTicks: 5 }).failoverTicks).toBe(5);
  });

  it('names an unknown or malformed option', () => {
    expect(() => parseReplicationOptions('lww', { failoverTick: 3 })).toThrow(
      /unknown replication option/,
    );
    expect(() => parseReplicationOptions('lww', { semisyncAcks: -1 })).toThrow(
      /non-negative integer/,
    );
  });
});
