import { describe, expect, it } from 'vitest';
import { memoryIo } from '../io.js';
import { runCli } from '../program.js';
import { benchKey } from './bench-runner.js';
import { benchReport } from './bench-report.js';
import { benchPlan } from './bench-options.js';

async function run(...argv: string[]) {
  const io = memoryIo();
  await runCli(argv, io);
  return io;
}

describe('synod bench flags', () => {
  it.each([
    [['put', '--clients', '0'], /--clients must be an integer from 1 to 100000, got "0"/],
    [['put', '--clients', 'many'], /--clients must be an integer from 1 to 100000, got "many"/],
    [['put', '--conns', '-1'], /--conns must be an integer from 1 to 10000/],
    [['put', '--total', '1.5'], /--total must be an integer/],
    [
      ['put', '--duration', 'soon'],
      /--duration: a duration looks like 500ms, 10s or 2m, got "soon"/,
    ],
    [['put', '--key-size', '0'], /--key-size must be an integer from 1/],
    [['put', '--val-size', '2000000'], /--val-size must be an integer from 0 to 1572864/],
    [['put', '--rate', 'fast'], /--rate must be an integer from 0/],
    [
      ['range', '--consistency', 'x'],
      /--consistency is "l" \(linearizable\) or "s" \(serializable\), got "x"/,
    ],
    [['txn', '--txn-ops', '129'], /--txn-ops must be an integer from 1 to 128/],
    [['txn', '--txn-op', 'delete'], /--txn-op is "put" or "range", got "delete"/],
    [['put', '--bogus'], /unknown option '--bogus'/],
    [['range', '--val-size', '3'], /unknown option '--val-size'/],
    [['put', '--conns', '4', '--clients', '2'], /--conns 4 is more than --clients 2/],
    [['put', '--endpoints', ''], /--endpoints is empty/],
    [['put', '--endpoints', '127.0.0.1'], /--endpoints item "127.0.0.1" is not host:port/],
    [['put', '--endpoints', 'a:1,,b:2'], /has an empty item/],
    [['put', '--endpoints', 'https://h:2379'], /only plain http \(no TLS\)/],
    [['put', '--endpoints', 'h:70000'], /port from 1 to 65535/],
    [
      ['put', '--key-size', '1', '--key-space-size', '300'],
      /--key-space-size 300 does not fit in --key-size 1 \(at most 256/,
    ],
    [
      ['txn', '--txn-ops', '5', '--key-space-size', '3'],
      /--txn-ops 5 puts need 5 distinct keys, but --key-space-size is 3/,
    ],
    [['range', 'b', 'a'], /the range end "a" must sort after the key "b"/],
    [['range', ''], /the range key is empty/],
    [['put', '--val-size', '1000000', '--txn-ops', '2'], /unknown option '--txn-ops'/],
    [
      ['txn', '--txn-ops', '2', '--val-size', '1000000', '--key-space-size', '2'],
      /above etcd's default --max-request-bytes/,
    ],
  ])('bench %j is refused: %s', async (args, message) => {
    const io = await run('bench', ...args);
    expect(io.exitCode).toBe(2);
    expect(io.stderr).toMatch(message);
    expect(io.stdout).toBe('');
  });

  it('fails with one clear error when an endpoint does not answer', async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const io = await run('bench', 'put', '--endpoints', '127.0.0.1:1');
    expect(io.exitCode).toBe(1);
    expect(io.stderr).toMatch(/cannot connect to 127\.0\.0\.1:1 within 5000 ms/);
  });

  it("defaults to etcd's benchmark: one client, one connection, 10,000 8-byte puts", () => {
    const plan = benchPlan('put', {
      endpoints: '127.0.0.1:2379',
      clients: 1,
      conns: 1,
      keySize: 8,
      valSize: 8,
      keySpaceSize: 1,
      rate: 0,
      requestTimeout: 10_000,
    });
    expect(plan).toMatchObject({
      total: 10_000,
      durationMs: Number.POSITIVE_INFINITY,
      consistency: 'l',
    });
    expect(
      benchPlan('put', {
        endpoints: 'http://a:1',
        clients: 1,
        conns: 1,
        keySize: 8,
        valSize: 8,
        keySpaceSize: 1,
        rate: 0,
        duration: 5000,
        requestTimeout: 1,
      }),
    ).toMatchObject({ total: Number.POSITIVE_INFINITY, durationMs: 5000, endpoints: ['a:1'] });
  });

  it('spreads key indexes big-endian over the key size', () => {
    expect([...benchKey(0, 4)]).toEqual([0, 0, 0, 0]);
    expect([...benchKey(258, 4)]).toEqual([0, 0, 1, 2]);
    expect([...benchKey(2 ** 40 + 5, 8)]).toEqual([0, 0, 1, 0, 0, 0, 0, 5]);
  });

  it('reports nearest-rank percentiles, errors and a histogram covering every sample', () => {
    const plan = benchPlan('put', {
      endpoints: 'a:1',
      clients: 4,
      conns: 2,
      keySize: 8,
      valSize: 8,
      keySpaceSize: 1,
      rate: 0,
      requestTimeout: 1000,
    });
    const latenciesMs = Float64Array.from({ length: 1000 }, (_, index) => 1000 - index);
    const report = benchReport(plan, {
      latenciesMs,
      succeeded: 1000,
      errors: new Map([['etcdserver: request timed out', 3]]),
      elapsedMs: 2000,
    });
    expect(report).toMatchObject({ requests: 1003, failed: 3, opsPerSecond: 500 });
    expect(report.latencyMs).toMatchObject({
      p50: 500,
      p90: 900,
      p99: 990,
      p999: 999,
      max: 1000,
      min: 1,
    });
    expect(report.latencyMs?.mean).toBeCloseTo(500.5);
    expect(report.histogram).toHaveLength(10);
    expect(report.histogram.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(1000);
    expect(report.errors).toEqual({ 'etcdserver: request timed out': 3 });
  });
});
