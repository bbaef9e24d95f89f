import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SynodError } from '../core/errors.js';
import { clusterIdOf, memberIdOf } from './cluster-ids.js';
import { parseInitialCluster, parseNodeFlags, timingTicks } from './config.js';
import { TestCa, opensslExists } from './testing/certificates.js';

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
    expect(config.listenClient).toEqual([{ host: '127.0.0.1', port: 22379 }]);
    expect(config.advertiseClientUrls).toEqual(['http://127.0.0.1:22379']);
    expect(config.dataDir).toBe('n2.synod');
    expect(config.engine).toBe('raft');
    expect(config.tickMs).toBe(10);
    expect(config.initialClusterState).toBe('new');
    expect(config).toMatchObject({ heartbeatIntervalMs: 100, electionTimeoutMs: 1000 });
    expect(timingTicks(config)).toEqual({ heartbeatTicks: 10, electionTicks: 100 });
    expect(
      timingTicks(
        parseNodeFlags({ tickMs: '20', heartbeatInterval: '60', electionTimeout: '310' }),
      ),
    ).toEqual({ heartbeatTicks: 3, electionTicks: 16 });
    expect(config.snapshotCount).toBe(100_000);
  });

  it('keeps every listen URL, as etcd listens on each, and every peer URL of a member to dial', () => {
    const config = parseNodeFlags({
      name: 'n1',
      listenClientUrls: 'http://127.0.0.1:2379,http://10.0.0.5:2379',
      listenPeerUrls: 'http://127.0.0.1:2380,http://10.0.0.5:2380',
      listenMetricsUrls: 'http://127.0.0.1:2381,http://10.0.0.5:2381',
      initialCluster:
        'n1=http://127.0.0.1:2380,n1=http://10.0.0.5:2380,n2=http://10.0.0.6:2380,n2=http://n2.example:2380',
    });
    expect(config.listenClient).toEqual([
      { host: '127.0.0.1', port: 2379 },
      { host: '10.0.0.5', port: 2379 },
    ]);
    expect(config.advertiseClientUrls).toEqual(['http://127.0.0.1:2379', 'http://10.0.0.5:2379']);
    expect(config.listenPeer.map(({ host }) => host)).toEqual(['127.0.0.1', '10.0.0.5']);
    expect(config.listenMetrics?.map(({ port }) => port)).toEqual([2381, 2381]);
    expect(config.members.find((member) => member.name === 'n2')?.peerAddresses).toEqual([
      { host: '10.0.0.6', port: 2380 },
      { host: 'n2.example', port: 2380 },
    ]);
  });

  it("reads etcd's boolean flags bare or as =true/=false, and refuses anything else", () => {
    expect(parseNodeFlags({}).strictReconfigCheck).toBe(true);
    expect(parseNodeFlags({ strictReconfigCheck: 'false' }).strictReconfigCheck).toBe(false);
    expect(parseNodeFlags({ strictReconfigCheck: '0' }).strictReconfigCheck).toBe(false);
    expect(parseNodeFlags({ strictReconfigCheck: true }).strictReconfigCheck).toBe(true);
    expect(parseNodeFlags({ strictReconfigCheck: 'True' }).strictReconfigCheck).toBe(true);
    expect(parseNodeFlags({ autoTls: 'false', peerAutoTls: 'false' }).autoTls).toBeUndefined();
    expect(refusal({ strictReconfigCheck: 'maybe' })).toBe(
      '--strict-reconfig-check must be true or false, got "maybe"',
    );
    expect(refusal({ clientCertAuth: 'yes' })).toContain(
      '--client-cert-auth must be true or false',
    );
  });

  it('takes --initial-cluster-state existing for a member joining a running cluster', () => {
    const config = parseNodeFlags({
      name: 'n2',
      listenPeerUrls: 'http://127.0.0.1:22380',
      initialCluster: THREE,
      initialClusterState: 'existing',
    });
    expect(config.initialClusterState).toBe('existing');
    // etcdctl member add prints a member added but not started yet without a name.
    const withUnstarted = parseNodeFlags({
      name: 'n4',
      listenPeerUrls: 'http://127.0.0.1:42380',
      initialCluster: `${THREE},=http://127.0.0.1:41380,n4=http://127.0.0.1:42380`,
      initialClusterState: 'existing',
    });
    expect(withUnstarted.members).toHaveLength(5);
    expect(refusal({ initialCluster: `${THREE},=http://127.0.0.1:41380`, name: 'n1' })).toContain(
      'is not name=url',
    );
  });

  it('asks for self-signed certificates with --auto-tls and --peer-auto-tls', () => {
    const config = parseNodeFlags({
      name: 'n1',
      listenClientUrls: 'https://10.0.0.1:2379',
      listenPeerUrls: 'https://10.0.0.1:2380',
      initialCluster: 'n1=https://10.0.0.1:2380',
      autoTls: true,
      peerAutoTls: true,
    });
    expect(config.clientTls).toBeUndefined();
    expect(config.autoTls?.client).toContain('10.0.0.1');
    expect(config.autoTls?.peer).toEqual(['10.0.0.1']);
    expect(parseNodeFlags({ autoTls: true }).autoTls).toBeUndefined(); // http: nothing to make
  });

  it('refuses every bad flag with a message naming it', () => {
    expect(refusal({ name: 'bad name!' })).toContain('--name');
    expect(refusal({ listenClientUrls: 'localhost:2379' })).toContain('--listen-client-urls');
    expect(refusal({ listenClientUrls: 'https://127.0.0.1:2379' })).toContain(
      'needs --cert-file and --key-file',
    );
    expect(refusal({ listenClientUrls: 'http://127.0.0.1:1,https://127.0.0.1:2' })).toContain(
      'mixes http and https',
    );
    expect(refusal({ listenPeerUrls: 'http://127.0.0.1' })).toContain('a port is required');
    expect(refusal({ listenClientUrls: 'http://127.0.0.1:2379,http://127.0.0.1:2379' })).toContain(
      'lists 127.0.0.1:2379 twice',
    );
    expect(refusal({ name: 'n9', initialCluster: THREE })).toContain('no member named "n9"');
    expect(refusal({ initialCluster: 'n1' })).toContain('is not name=url');
    expect(
      refusal({ name: 'n1', listenPeerUrls: 'http://127.0.0.1:9999', initialCluster: THREE }),
    ).toContain('must match');
    expect(
      refusal({ initialCluster: 'a=http://127.0.0.1:2380,b=http://127.0.0.1:2380', name: 'a' }),
    ).toContain('share the peer URL');
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
    expect(refusal({ authToken: 'magic' })).toContain('--auth-token "magic" is not simple or jwt');
    expect(refusal({ authToken: 'jwt' })).toContain('--auth-token: jwt needs sign-method');
    expect(
      refusal({ listenClientUrls: 'https://127.0.0.1:2379', autoTls: true, clientCertAuth: true }),
    ).toContain('--auto-tls makes a self-signed certificate, which cannot check');
    expect(refusal({ listenClientUrls: 'https://127.0.0.1:2379' })).toContain('(or --auto-tls');
  });
});

describe.runIf(opensslExists())('synod node TLS flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'synod-tls-flags-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const ca = TestCa.create(dir, 'flags');
  const server = ca.issue('server');
  const other = ca.issue('other');
  const garbage = join(dir, 'garbage.pem');
  writeFileSync(
    garbage,
    '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n',
  );
  const https = { listenClientUrls: 'https://127.0.0.1:2379' };

  it('loads the certificates for https URLs, and ignores them on http with a warning', () => {
    const config = parseNodeFlags({
      ...https,
      certFile: server.cert,
      keyFile: server.key,
      trustedCaFile: ca.cert,
      clientCertAuth: true,
    });
    expect(config.clientTls?.clientCertAuth).toBe(true);
    expect(config.clientTls?.cert.toString()).toContain('BEGIN CERTIFICATE');
    expect(config.peerTls).toBeUndefined();
    const plain = parseNodeFlags({ certFile: server.cert, keyFile: server.key });
    expect(plain.clientTls).toBeUndefined();
    expect(plain.warnings.join()).toContain('--cert-file');
  });

  it('refuses missing, unreadable, invalid or mismatched files, naming the file', () => {
    const missing = join(dir, 'missing.pem');
    expect(refusal({ ...https, certFile: missing, keyFile: server.key })).toContain(
      `--cert-file ${missing}: cannot read it`,
    );
    expect(refusal({ ...https, certFile: garbage, keyFile: server.key })).toContain(
      `--cert-file ${garbage}: not a valid certificate`,
    );
    expect(refusal({ ...https, certFile: server.cert, keyFile: server.cert })).toContain(
      `--key-file ${server.cert}: not a valid PEM private key`,
    );
    expect(refusal({ ...https, certFile: server.cert, keyFile: other.key })).toContain(
      'does not match',
    );
    expect(
      refusal({ ...https, certFile: server.cert, keyFile: server.key, trustedCaFile: server.key }),
    ).toContain(`--trusted-ca-file ${server.key}: no PEM certificate`);
    expect(
      refusal({ ...https, certFile: server.cert, keyFile: server.key, clientCertAuth: true }),
    ).toContain('--client-cert-auth needs --trusted-ca-file');
    expect(refusal({ listenPeerUrls: 'https://127.0.0.1:2380' })).toContain(
      'needs --peer-cert-file and --peer-key-file',
    );
    expect(
      refusal({
        name: 'n1',
        listenPeerUrls: 'https://127.0.0.1:2380',
        initialCluster: 'n1=https://127.0.0.1:2380,n2=http://127.0.0.1:22380',
        peerCertFile: server.cert,
        peerKeyFile: server.key,
      }),
    ).toContain('every peer URL must use the same scheme');
  });
});
