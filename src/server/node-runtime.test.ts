import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NodeId } from '../core/ids.js';
import type { StorageFs } from '../storage/storage-fs.js';
import { nodeStorageFs } from '../storage/storage-fs.js';
import { findEngine } from './engines.js';
import type { ServerOp, ServerResult } from './etcd-application.js';
import { EtcdApplication } from './etcd-application.js';
import { createLogger } from './logger.js';
import { bootstrapMembership } from './membership.js';
import { NodeRuntime } from './node.js';
import { freePort } from './testing/process-cluster.js';

/** A real file system whose syncs wait while `held`: a disk that is slow on demand. */
class SyncGate {
  held = false;
  private waiting: (() => void)[] = [];
  readonly fs: StorageFs = {
    ...nodeStorageFs,
    open: async (path, mode) => {
      const file = await nodeStorageFs.open(path, mode);
      return {
        writev: (buffers, position) => file.writev(buffers, position),
        datasync: async () => {
          await this.pass();
          await file.datasync();
        },
        sync: async () => {
          await this.pass();
          await file.sync();
        },
        truncate: (bytes) => file.truncate(bytes),
        size: () => file.size(),
        close: () => file.close(),
      };
    },
  };

  release(): void {
    this.held = false;
    for (const resume of this.waiting.splice(0)) resume();
  }

  private pass(): Promise<void> {
    if (!this.held) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const IDS: readonly NodeId[] = [0, 1, 2];
let root: string;
let runtimes: NodeRuntime<ServerOp, ServerResult>[] = [];
let apps: EtcdApplication[] = [];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'synod-node-runtime-'));
});
afterEach(async () => {
  await Promise.all(runtimes.map((runtime) => runtime.stop()));
  runtimes = [];
  apps = [];
  await rm(root, { recursive: true, force: true });
});

async function startCluster(gates: readonly SyncGate[], engineName = 'raft'): Promise<void> {
  const ports = await Promise.all(IDS.map(() => freePort()));
  const membership = bootstrapMembership(
    IDS.map((id) => ({
      nodeId: id,
      memberId: String(id + 1),
      peerUrls: [`http://127.0.0.1:${ports[id]}`],
    })),
  );
  const engine = findEngine(engineName);
  apps = IDS.map(() => new EtcdApplication(membership));
  runtimes = await Promise.all(
    IDS.map((id) =>
      NodeRuntime.start<ServerOp, ServerResult>({
        nodeId: id,
        members: [...IDS],
        peers: new Map(
          IDS.filter((other) => other !== id).map((other) => [
            other,
            { host: '127.0.0.1', port: ports[other] as number },
          ]),
        ),
        listenPeer: { host: '127.0.0.1', port: ports[id] as number },
        clusterId: 'synod-test-node-runtime',
        dataDir: join(root, `n${id}`),
        engine,
        engineOptions: { ...engine.serverOptions, ...engine.timingOptions(15, 3) },
        application: apps[id] as EtcdApplication,
        tickMs: 10,
        logger: createLogger({ level: 'error' }),
        storageFs: gates[id]?.fs,
        onFatal: (error) => {
          throw error;
        },
      }),
    ),
  );
}

const put = (key: string): ServerOp => ({ type: 'put', request: { key, value: 'v' } });

describe('NodeRuntime', () => {
  it("sends a leader's appends before its own fsync, and answers only once that is durable", async () => {
    const gates = IDS.map(() => new SyncGate());
    await startCluster(gates);
    await until(() => runtimes.some((runtime) => runtime.leader() === runtime.engine.log.id), 5000);
    const leader = runtimes.findIndex((runtime) => runtime.leader() === runtime.engine.log.id);
    const followers = runtimes.filter((_, index) => index !== leader);
    await runtimes[leader]?.submit(put('warm-up'), 5000);

    // The leader's disk stalls: its followers still get, store and acknowledge the entry...
    const gate = gates[leader] as SyncGate;
    gate.held = true;
    const target = (runtimes[leader]?.engine.describe().lastIndex ?? 0) + 1;
    let answered = false;
    const answer = (runtimes[leader] as NodeRuntime<ServerOp, ServerResult>)
      .submit(put('during-stall'), 10_000)
      .then((result) => {
        answered = true;
        return result;
      });
    try {
      await until(
        () => followers.every((follower) => follower.engine.describe().lastIndex >= target),
        5000,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      // ...but the client hears nothing until the leader's own copy is durable too.
      expect(answered).toBe(false);
    } finally {
      gate.release();
    }
    expect((await answer).ok).toBe(true);
  }, 20_000);

  it('answers a request a follower forwarded only once the follower has applied it too', async () => {
    // Multi-Paxos refuses proposals at followers; their runtimes forward them to the leader's.
    await startCluster(
      IDS.map(() => new SyncGate()),
      'multipaxos',
    );
    await until(() => runtimes.every((runtime) => runtime.leader() !== undefined), 5000);
    const leader = runtimes[0]?.leader() as NodeId;
    const follower = IDS.find((id) => id !== leader) as NodeId;
    for (let index = 0; index < 10; index++) {
      const result = await (runtimes[follower] as NodeRuntime<ServerOp, ServerResult>).submit(
        put(`forwarded-${index}`),
        5000,
      );
      expect(result.ok).toBe(true);
      // What the client does next on this member sees its write.
      expect(apps[follower]?.store.currentRevision).toBeGreaterThanOrEqual(
        (result as { revision: number }).revision,
      );
    }
  }, 20_000);
});
