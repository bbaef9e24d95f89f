import { describe, expect, it } from 'vitest';
import { SERVER_ENGINES } from './engines.js';
import { useInProcessCluster } from './testing/in-process-cluster.js';
import { waitUntil } from './testing/process-cluster.js';

/**
 * The `etcd3` npm client, unchanged, against three members in this process (real TCP between
 * them, real fsync), once per server engine: its KV, transactions, watches, leases, locks,
 * elections and STM are built on etcd's API, so they exercise its semantics the way applications
 * use them, and the same tests hold whatever replicated log is underneath.
 */
describe.each(SERVER_ENGINES.map((engine) => engine.name))(
  'the etcd3 npm client on %s',
  (engine) => {
    const the = useInProcessCluster('etcd3-test', { engine });

    it('puts, gets, counts and deletes', async () => {
      await the.client.put('fruit/apple').value('red');
      await the.client.put('fruit/banana').value('yellow');
      expect(await the.client.get('fruit/apple').string()).toBe('red');
      expect(await the.client.getAll().prefix('fruit/').strings()).toEqual({
        'fruit/apple': 'red',
        'fruit/banana': 'yellow',
      });
      expect(await the.client.getAll().prefix('fruit/').count()).toBe(2);
      // count() asks for count_only: the total matched, which a limit does not cut.
      expect(await the.client.getAll().prefix('fruit/').limit(1).count()).toBe(2);
      expect(await the.client.getAll().prefix('no-fruit/').count()).toBe(0);
      await the.client.delete().key('fruit/apple');
      expect(await the.client.get('fruit/apple').string()).toBeNull();
    });

    it('commits a transaction only when its comparison holds', async () => {
      await the.client.put('account').value('10');
      const first = await the.client
        .if('account', 'Value', '==', '10')
        .then(the.client.put('account').value('20'))
        .commit();
      expect(first.succeeded).toBe(true);
      const second = await the.client
        .if('account', 'Value', '==', '10')
        .then(the.client.put('account').value('30'))
        .else(the.client.get('account'))
        .commit();
      expect(second.succeeded).toBe(false);
      expect(await the.client.get('account').string()).toBe('20');
    });

    it('watches a key', async () => {
      const watcher = await the.client.watch().key('watched').create();
      const seen: string[] = [];
      watcher.on('put', (kv) => seen.push(`put ${kv.value.toString()}`));
      watcher.on('delete', () => seen.push('delete'));
      await the.client.put('watched').value('1');
      await the.client.put('watched').value('2');
      await the.client.delete().key('watched');
      await waitUntil(() => seen.length >= 3, 10_000);
      expect(seen).toEqual(['put 1', 'put 2', 'delete']);
      await watcher.cancel();
    });

    it('grants a lease, attaches keys and revokes them with it', async () => {
      const lease = the.client.lease(30, { autoKeepAlive: false });
      await lease.put('leased').value('v');
      expect(await the.client.get('leased').string()).toBe('v');
      expect(await lease.keepaliveOnce()).toBeDefined();
      await lease.revoke();
      expect(await the.client.get('leased').string()).toBeNull();
    });

    it('holds a lock exclusively until it is released', async () => {
      // etcd3's lock does not wait: acquiring a held lock fails at once.
      const first = the.client.lock('the-lock');
      await first.acquire();
      await expect(the.client.lock('the-lock').acquire()).rejects.toThrow(
        'Failed to acquire a lock',
      );
      await first.release();
      const second = the.client.lock('the-lock');
      await second.acquire();
      await second.release();
    }, 30_000);

    it('elects a leader among campaigners', async () => {
      const election = the.client.election('the-election');
      const campaign = election.campaign('candidate-1');
      await new Promise<void>((resolve, reject) => {
        campaign.on('elected', () => resolve());
        campaign.on('error', reject);
      });
      expect(await election.leader()).toBe('candidate-1');
      await campaign.resign();
    }, 30_000);

    it('runs software transactional memory to completion under contention', async () => {
      await the.client.put('counter').value('0');
      const increment = () =>
        the.client.stm({ retries: 50 }).transact(async (tx) => {
          const value = Number(await tx.get('counter').string());
          return tx.put('counter').value(String(value + 1));
        });
      await Promise.all(Array.from({ length: 5 }, increment));
      expect(await the.client.get('counter').string()).toBe('5');
    }, 30_000);
  },
);
