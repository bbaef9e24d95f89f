import { describe, expect, it } from 'vitest';
import { parseNodeFlags } from './config.js';
import { useInProcessCluster } from './testing/in-process-cluster.js';

/** etcd's --max-request-bytes and --max-txn-ops, set below and above their defaults. */
describe('--max-request-bytes and --max-txn-ops', () => {
  const the = useInProcessCluster('request-limits', { maxRequestBytes: '4096', maxTxnOps: '200' }, [
    'solo',
  ]);

  it('refuses a request over --max-request-bytes, and takes one under it', async () => {
    await expect(the.client.put('big').value('x'.repeat(5_000))).rejects.toThrow(
      'etcdserver: request is too large',
    );
    await the.client.put('small').value('x'.repeat(3_000));
    expect(await the.client.get('small').string()).toHaveLength(3_000);
  });

  it('applies a txn above the default 128 ops when --max-txn-ops allows it, and refuses one above', async () => {
    const puts = (count: number) =>
      Array.from({ length: count }, (_, index) => the.client.put(`t${index}`).value('v'));
    const allowed = await the.client
      .if('t0', 'Version', '==', 0)
      .then(...puts(150))
      .commit();
    expect(allowed.succeeded).toBe(true);
    expect(await the.client.getAll().prefix('t').count()).toBe(150);
    await expect(
      the.client
        .if('t0', 'Version', '==', 0)
        .then(...puts(201))
        .commit(),
    ).rejects.toThrow('etcdserver: too many operations in txn request');
  });

  it('validates both flags', () => {
    expect(() => parseNodeFlags({ maxRequestBytes: '0' })).toThrow(
      '--max-request-bytes must be an integer from 1 to 67108864, got "0"',
    );
    expect(() => parseNodeFlags({ maxTxnOps: 'many' })).toThrow(
      '--max-txn-ops must be an integer from 1 to 100000, got "many"',
    );
    expect(parseNodeFlags({})).toMatchObject({ maxRequestBytes: 1_572_864, maxTxnOps: 128 });
  });
});
