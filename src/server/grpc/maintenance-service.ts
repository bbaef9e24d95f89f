import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EtcdContext } from './context.js';
import { headerOf, isLearnerMember, memberIdOfNode, unary } from './context.js';
import { type ProtoObject, intField } from './convert.js';
import { ApiError, EtcdErrors, fromMvccError, notSupported } from './etcd-errors.js';
import { snapshotStream } from './snapshot-stream.js';

/** The etcd version Synod reports: the API level it implements (etcdctl 3.4 checks nothing more). */
export const ETCD_API_VERSION = '3.4.0';

/** Bytes on disk under the data directory's wal/ and snap/ (etcd's dbSize is its bbolt file). */
export async function dataBytes(dataDir: string): Promise<number> {
  let total = 0;
  for (const folder of ['wal', 'snap']) {
    const path = join(dataDir, folder);
    const names = await readdir(path).catch(() => [] as string[]);
    for (const name of names)
      total += (await stat(join(path, name)).catch(() => undefined))?.size ?? 0;
  }
  return total;
}

/**
 * etcd's Maintenance service: Status, Alarm (no alarms), Defragment (nothing to do), MoveLeader,
 * Hash/HashKV and Snapshot (Synod's own image format, see snapshot-image.ts).
 */
export function maintenanceService(context: EtcdContext): UntypedServiceImplementation {
  const { runtime, config } = context;
  const refuse = (what: string) => async (): Promise<ProtoObject> => {
    throw new ApiError(notSupported(what));
  };
  return {
    Status: unary(context, 'Status', async () => {
      const size = await dataBytes(config.dataDir);
      return {
        header: headerOf(context, context.app.store.currentRevision),
        version: ETCD_API_VERSION,
        dbSize: size,
        leader: memberIdOfNode(context, runtime.leader()),
        raftIndex: runtime.engine.committedIndex() ?? runtime.machine.appliedIndex,
        raftTerm: runtime.engine.term(),
        raftAppliedIndex: runtime.machine.appliedIndex,
        errors: [],
        dbSizeInUse: size,
        isLearner: isLearnerMember(context),
      };
    }),
    Alarm: unary(context, 'Alarm', async () => ({ header: headerOf(context, 0), alarms: [] })),
    // The WAL and snapshots are rewritten whole on compaction: there is nothing to defragment.
    Defragment: unary(context, 'Defragment', async () => ({ header: headerOf(context, 0) })),
    MoveLeader: unary(context, 'MoveLeader', async (message) => {
      if (runtime.leader() !== runtime.nodeId) throw new ApiError(EtcdErrors.notLeader);
      const target = context.app
        .membership()
        .members.find((member) => member.memberId === String(message.targetID));
      if (target === undefined || !runtime.transferLeadership(target.nodeId))
        throw new ApiError(EtcdErrors.badLeaderTransferee);
      await waitFor(() => runtime.leader() === target.nodeId, config.requestTimeoutMs);
      return { header: headerOf(context, 0) };
    }),
    // Comparable across members (replicas that applied the same log agree); not equal to etcd's
    // numbers, which hash its bbolt encoding.
    HashKV: unary(context, 'HashKV', async (message) => {
      const outcome = context.app.store.hashKv(intField(message, 'revision'));
      if (!outcome.ok) throw new ApiError(fromMvccError(outcome.error));
      const response = outcome.response;
      return {
        header: headerOf(context, response.header.revision),
        hash: response.hash,
        compact_revision: response.compactRevision,
        hash_revision: response.hashRevision,
      };
    }),
    Hash: unary(context, 'Hash', async () => {
      const outcome = context.app.store.hashKv(0);
      if (!outcome.ok) throw new ApiError(fromMvccError(outcome.error));
      return {
        header: headerOf(context, outcome.response.header.revision),
        hash: outcome.response.hash,
      };
    }),
    Snapshot: snapshotStream(context),
    Downgrade: unary(context, 'Downgrade', refuse('Downgrade')),
  };
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() >= deadline) throw new ApiError(EtcdErrors.timeout);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
