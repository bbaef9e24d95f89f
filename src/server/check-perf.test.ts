import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ProcessCluster,
  builtCliExists,
  etcdctl,
  etcdctlExists,
} from './testing/process-cluster.js';

/**
 * `etcdctl check perf --load s` (etcdctl 3.4): 60 s of puts from 50 clients at a bounded rate,
 * then etcdctl's own verdicts on throughput, the slowest request and the stddev. Its own file, so
 * it runs in parallel with the other server tests rather than after them.
 */
const runnable = builtCliExists() && etcdctlExists();

describe.runIf(runnable)('etcdctl check perf on a 3-process cluster', () => {
  let cluster: ProcessCluster;

  beforeAll(async () => {
    cluster = await ProcessCluster.create(3);
    // etcd's default election timeout: check perf loads the machine for a minute, and on a
    // shared 2-core runner the test clusters' shorter timeout would turn stalls into elections.
    cluster.electionTimeoutMs = '1000';
    cluster.startAll();
    await cluster.waitReady();
  }, 60_000);

  afterAll(async () => {
    await cluster?.destroy();
  }, 30_000);

  it('passes with the small load', { timeout: 150_000 }, async () => {
    const result = await etcdctl(
      ['--endpoints', cluster.endpoints, 'check', 'perf', '--load', 's'],
      undefined,
      120_000,
    );
    const verdicts = result.stdout.split('\n').filter((line) => /^(PASS|FAIL)/.test(line));
    expect(verdicts, `${result.stdout}\n${result.stderr}`).toEqual([
      expect.stringMatching(/^PASS: Throughput is \d+ writes\/s$/),
      expect.stringMatching(/^PASS: Slowest request took [\d.]+s$/),
      expect.stringMatching(/^PASS: Stddev is [\d.]+s$/),
      'PASS',
    ]);
    expect(result.code).toBe(0);
  });
});
