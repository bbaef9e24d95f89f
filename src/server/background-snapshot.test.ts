import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findEngine } from './engines.js';
import type { ServerOp, ServerResult } from './etcd-application.js';
import { EtcdApplication } from './etcd-application.js';
import { createLogger } from './logger.js';
import { NodeRuntime } from './node.js';
import { freePort } from './testing/process-cluster.js';
import { bootstrapMembership } from './membership.js';

const ONE_MEMBER = bootstrapMembership([
  { nodeId: 0, memberId: '1', peerUrls: ['http://127.0.0.1:2380'] },
]);

/**
 * One member on real disk with a small snapshot interval: snapshots are gathered from a pinned view
 * and written in the background while puts keep coming, and a restart gets every key back.
 */
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'synod-bg-snapshot-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function startMember(dataDir: string, app: EtcdApplication) {
  const engine = findEngine('raft');
  return NodeRuntime.start<ServerOp, ServerResult>({
    nodeId: 0,
    members: [0],
    peers: new Map(),
    listenPeer: { host: '127.0.0.1', port: await freePort() },
    clusterId: 'synod-test-background-snapshot',
    dataDir,
    engine,
    engineOptions: { ...engine.serverOptions, snapshotEveryEntries: 40 },
    application: app,
    tickMs: 10,
    logger: createLogger({ level: 'error' }),
    onFatal: (error) => {
      throw error;
    },
  });
}

describe('background snapshots in a running member', () => {
  it('compacts the log while writes go on, and a restart recovers every key', async () => {
    const dataDir = join(root, 'n1');
    const app = new EtcdApplication(ONE_MEMBER);
    const runtime = await startMember(dataDir, app);
    const put = (index: number) =>
      runtime.submit(
        {
          type: 'put',
          request: { key: `key/${String(index).padStart(4, '0')}`, value: `v${index}` },
        },
        10_000,
      );
    // Waves of concurrent puts, with compactions and overwrites between them.
    for (let wave = 0; wave < 6; wave++) {
      await Promise.all(Array.from({ length: 50 }, (_, offset) => put(wave * 40 + offset)));
      if (wave === 3)
        await runtime.submit(
          { type: 'compaction', request: { revision: app.store.currentRevision - 10 } },
          10_000,
        );
    }
    const revision = app.store.currentRevision;
    const hash = app.store.hashKv(revision);
    await runtime.stop();
    const snapshots = (await readdir(join(dataDir, 'snap'))).filter((n) => n.endsWith('.snap'));
    expect(snapshots).toHaveLength(1); // older ones deleted once the newest was durable
    const wal = await readdir(join(dataDir, 'wal'));
    expect(wal.length).toBeLessThanOrEqual(3); // the log before the snapshot is gone

    const restarted = new EtcdApplication(ONE_MEMBER);
    const again = await startMember(dataDir, restarted);
    try {
      const read = await again.submit({ type: 'range', request: { key: 'key/0000' } }, 10_000);
      expect(read.ok).toBe(true);
      expect(restarted.store.currentRevision).toBe(revision);
      expect(restarted.store.hashKv(revision)).toEqual(hash);
      const all = restarted.store.range({ key: 'key/', rangeEnd: 'key0', countOnly: true });
      expect(all.ok && all.response.count).toBe(250);
    } finally {
      await again.stop();
    }
  }, 60_000);
});
