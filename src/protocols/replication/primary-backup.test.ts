import { describe, expect, it } from 'vitest';
import { ReplicationCluster } from './harness.js';
import { primaryOf } from './failover.js';
import type { PrimaryBackupNode } from './primary-backup.js';

function primaryBackup(cluster: ReplicationCluster, id: number): PrimaryBackupNode {
  return cluster.node(id) as PrimaryBackupNode;
}

describe('primary–backup failover', () => {
  it('the primary of view v is member v mod n', () => {
    expect([0, 1, 2, 3, 4].map((view) => primaryOf(view, [0, 1, 2]))).toEqual([0, 1, 2, 0, 1]);
  });

  it('a backup that hears nothing for failoverTicks moves to the next view; its primary takes over', () => {
    const cluster = new ReplicationCluster({
      variant: 'async',
      nodes: 3,
      options: { failoverTicks: 4 },
    });
    cluster.crash(0);
    cluster.tick([1, 2], 3);
    expect(primaryBackup(cluster, 1).currentView()).toBe(0);
    cluster.tick([1, 2], 1);
    expect(primaryBackup(cluster, 1).isPrimary()).toBe(true);
    expect(primaryBackup(cluster, 2).isPrimary()).toBe(false);
    expect(primaryBackup(cluster, 2).currentView()).toBe(1);
  });

  it('heartbeats keep backups from failing over', () => {
    const cluster = new ReplicationCluster({
      variant: 'async',
      nodes: 3,
      options: { failoverTicks: 3 },
    });
    for (let round = 0; round < 10; round++) {
      cluster.tick();
      cluster.deliverAll();
    }
    expect(primaryBackup(cluster, 0).isPrimary()).toBe(true);
    expect(primaryBackup(cluster, 1).currentView()).toBe(0);
  });

  it('the default strategy never fails over: its primary is fixed', () => {
    const cluster = new ReplicationCluster({ variant: 'default', nodes: 3 });
    cluster.crash(0);
    cluster.tick([1, 2], 100);
    expect(primaryBackup(cluster, 1).currentView()).toBe(0);
  });

  it('a backup refuses client requests and names the primary', () => {
    const cluster = new ReplicationCluster({ variant: 'default', nodes: 3 });
    cluster.request(2, 7, { f: 'get', key: 'k' });
    expect(cluster.responses.get(7)).toEqual({
      id: 7,
      outcome: 'fail',
      error: 'not the primary',
      leaderHint: 0,
    });
  });

  it('a stale primary steps down when a backup answers from a higher view', () => {
    const cluster = new ReplicationCluster({
      variant: 'async',
      nodes: 3,
      options: { failoverTicks: 2 },
    });
    cluster.cut(0, 1);
    cluster.cut(0, 2);
    cluster.tick([1, 2], 2);
    cluster.deliverAll();
    expect(primaryBackup(cluster, 1).isPrimary()).toBe(true);
    cluster.request(0, 1, { f: 'put', key: 'k', value: 'split-brain' });
    expect(cluster.responses.get(1)?.outcome).toBe('ok'); // two primaries at once: async acks alone
    cluster.heal();
    cluster.tick([0]);
    cluster.deliverAll();
    expect(primaryBackup(cluster, 0).isPrimary()).toBe(false);
    expect(primaryBackup(cluster, 0).currentView()).toBe(1);
  });

  it('a restarted replica recovers its view and log from its durable records', () => {
    const cluster = new ReplicationCluster({ variant: 'semisync', nodes: 3 });
    cluster.request(0, 1, { f: 'put', key: 'a', value: '1' });
    cluster.deliverAll();
    cluster.crash(1);
    cluster.restart(1);
    expect(cluster.node(1).inspect().state.kv).toEqual({ a: '1' });
  });

  it('an install replaces the backup’s log, holes and all', () => {
    const cluster = new ReplicationCluster({
      variant: 'semisync',
      nodes: 3,
      options: { failoverTicks: 2 },
    });
    cluster.request(0, 1, { f: 'put', key: 'a', value: '1' });
    cluster.drop({ to: 1 });
    cluster.deliverAll();
    cluster.crash(0);
    cluster.tick([1, 2], 2);
    cluster.deliverAll();
    expect(cluster.node(2).inspect().state.kv).toEqual({});
    expect(cluster.durableRecords(2).filter((record) => record.kind === 'entry')).toEqual([]);
  });

  it('a write that changes nothing is answered at once, without replication', () => {
    const cluster = new ReplicationCluster({ variant: 'default', nodes: 3 });
    cluster.crash(2);
    cluster.request(0, 1, { f: 'cas', key: 'k', expected: 'x', value: 'y' });
    expect(cluster.responses.get(1)).toEqual({
      id: 1,
      outcome: 'ok',
      result: { f: 'cas', succeeded: false, current: null },
    });
  });
});
