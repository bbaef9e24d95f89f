import { describe, expect, it } from 'vitest';
import { SynodError } from '../core/errors.js';
import { clusterIdOf, memberIdOf } from './cluster-ids.js';
import { parseInitialCluster, parseNodeFlags, timingTicks } from './config.js';

const THREE = 'n1=http://127.0.0.1:2380,n2=http://127.0.0.1:22380,n3=http://127.0.0.1:32380';

function refusal(flags: Parameters<typeof parseNodeFlags>[0]): string {
  try {
    parseNodeFlags(flags);
  } catch (error) {
    expect(error).toBeInstanceOf(SynodError);
    return (error as SynodError).message;
  }
  throw new Error('expected the flags to be refused');
}

describe('synod node flags', () => {
  it('numbers members by name, so every member derives the same ids from the same flags', () => {
    const shuffled = parseInitialCluster(
      'n3=http://127.0.0.1:32380,n1=http://127.0.0.1:2380,n2=http://127.0.0.1:22380',
      'token',
    );
    const ordered = parseInitialCluster(THREE, 'token');
    expect(shuffled).toEqual(ordered);
    expect(ordered.map((member) => [member.name, member.nodeId])).toEqual([
      ['n1', 0],
      ['n2', 1],
      ['n3', 2],
    ]);
  });

  it('derives member and cluster ids from the peer URLs and the token, as etcd does', () => {
    const a = memberIdOf(['http://127.0.0.1:2380'], 'token');
    expect(a).toBe(memberIdOf(['http://127.0.0.1:2380'], 'token'));
    expect(a).not.toBe(memberIdOf(['http://127.0.0.1:2380'], 'other-token'));
    expect(clusterIdOf([1n, 2n])).toBe(clusterIdOf([2n, 1n]));
    const one = parseNodeFlags({
      name: 'n1',
      listenPeerUrls: 'http://127.0.0.1:2380',
      initialCluster: THREE,
      initialClusterToken: 'a',
    });
    const other = parseNodeFlags({
      name: 'n1',
      listenPeerUrls: 'http://127.0.0.1:2380',
      initialCluster: THREE,
      initialClusterToken: 'b',
    });
    expect(one.clusterId).not.toBe(other.clusterId);
  });

  it('accepts etcd-style flags and fills in etcd-style defaults', () => {
    const config = parseNodeFlags({
      name: 'n2',
      listenClientUrls: 'http://127.0.0.1:22379',
      listenPeerUrls: 'http://127.0.0.1:22380',
      initialCluster: THREE,
    });
    expect(config.self.name).toBe('n2');
    expect(config.listenClient).toEqual({ host: '127.0.0.1', port: 22379 });
    expect(config.advertiseClientUrls).toEqual(['http://127.0.0.1:22379']);
    expect(config.dataDir).toBe('n2.synod');
    expect(config.engine).toBe('raft');
    expect(config.tickMs).toBe(10);
    expect(config).toMatchObject({ heartbeatIntervalMs: 100, electionTimeoutMs: 1000 });
    expect(timingTicks(config)).toEqual({ heartbeatTicks: 10, electionTicks: 100 });
    expect(
      timingTicks(
        parseNodeFlags({ tickMs: '20', heartbeatInterval: '60', electionTimeout: '310' }),
      ),
    ).toEqual({ heartbeatTicks: 3, electionTicks: 16 });
  });

  it('refuses every bad flag with a message naming it', () => {
    expect(refusal({ name: 'bad name!' })).toContain('--name');
    expect(refusal({ listenClientUrls: 'localhost:2379' })).toContain('--listen-client-urls');
    expect(refusal({ listenClientUrls: 'https://127.0.0.1:2379' })).toContain('https');
    expect(refusal({ listenPeerUrls: 'http://127.0.0.1' })).toContain('a port is required');
    expect(refusal({ name: 'n9', initialCluster: THREE })).toContain('no member named "n9"');
    expect(refusal({ initialCluster: 'n1' })).toContain('is not name=url');
    expect(
      refusal({ name: 'n1', listenPeerUrls: 'http://127.0.0.1:9999', initialCluster: THREE }),
    ).toContain('must match');
    expect(
      refusal({ initialCluster: 'a=http://127.0.0.1:2380,b=http://127.0.0.1:2380', name: 'a' }),
    ).toContain('share the peer URL');
    expect(refusal({ initialClusterState: 'existing' })).toContain('not supported yet');
    expect(refusal({ initialClusterState: 'old' })).toContain('--initial-cluster-state');
    expect(refusal({ tickMs: '0' })).toContain('--tick-ms');
    expect(refusal({ tickMs: '1.5' })).toContain('--tick-ms');
    expect(refusal({ engine: 'Raft!' })).toContain('--engine');
    expect(refusal({ heartbeatInterval: 'fast' })).toContain('--heartbeat-interval');
    expect(refusal({ electionTimeout: '60000' })).toContain('--election-timeout must be');
    expect(refusal({ heartbeatInterval: '300' })).toContain(
      '--election-timeout (1000 ms) must be at least 5 times --heartbeat-interval (300 ms)',
    );
    expect(refusal({ tickMs: '200' })).toContain('shorter than --tick-ms (200 ms)');
  });
});
