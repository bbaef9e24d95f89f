import { basename, dirname, join, resolve } from 'node:path';
import { assert, unreachable } from '../core/assert.js';
import type { PersistOp } from '../core/protocol.js';
import { DirectoryLock } from './directory-lock.js';
import type { DataDirectoryPaths } from './layout.js';
import { dataDirectoryPaths, parseSequenceName } from './layout.js';
import type { PreparedSnapshotRecords } from './snapshot-file.js';
import { prepareSnapshotRecords, writeSnapshotAtomically } from './snapshot-file.js';
import type { RecoveryReport } from './store-recovery.js';
import { recoverStore } from './store-recovery.js';
import type { StorageFs } from './storage-fs.js';
import { nodeStorageFs } from './storage-fs.js';
import type { WalControl, WalLimits, WalStats } from './write-ahead-log.js';
import { DEFAULT_WAL_LIMITS, WriteAheadLog } from './write-ahead-log.js';

export interface DurableStoreOptions extends Partial<WalLimits> {
  /** Injected in tests to count fsyncs or to stop at a chosen step as a crash would. */
  readonly fs?: StorageFs;
}

export interface LoadResult<R> {
  /** The durable records, in order: what a node gets back as `NodeContext.restored`. */
  readonly records: R[];
  readonly report: RecoveryReport;
}

type PreparedOp =
  | { readonly kind: 'append'; readonly buffer: Buffer; readonly recordCount: number }
  | { readonly kind: 'replace'; readonly records: PreparedSnapshotRecords }
  | { readonly kind: 'background'; readonly records: readonly unknown[] };

export interface DurableStoreStats extends WalStats {
  snapshots: number;
}

/**
 * A node's durable records in a data directory: the storage half of the protocol contract. It does
 * exactly what `Ready.persist` asks: `append` adds records to the WAL, `replace` swaps the whole
 * durable state for a snapshot and compacts the log behind it; `load` gives back the records that
 * survived, in order. Life cycle: `open` (takes the directory lock), `load` once, `apply` any number
 * of times (concurrently if the driver pipelines; ops keep call order), `close`.
 */
export class DurableStore<R = unknown> {
  private log: WriteAheadLog | undefined;
  private loaded = false;
  private snapshots = 0;
  /** The background snapshot being written, if any; the next one waits for it. */
  private background: Promise<void> = Promise.resolve();
  private backgroundFailure: unknown;

  private constructor(
    readonly paths: DataDirectoryPaths,
    private readonly fs: StorageFs,
    private readonly limits: WalLimits,
    private readonly lock: DirectoryLock,
  ) {}

  /** Creates the directory if needed and locks it; throws DATA_DIR_LOCKED if another owner has it. */
  static async open<R = unknown>(
    dataDir: string,
    options: DurableStoreOptions = {},
  ): Promise<DurableStore<R>> {
    const fs = options.fs ?? nodeStorageFs;
    const limits: WalLimits = {
      segmentBytesMax: options.segmentBytesMax ?? DEFAULT_WAL_LIMITS.segmentBytesMax,
      recordBytesMax: options.recordBytesMax ?? DEFAULT_WAL_LIMITS.recordBytesMax,
      queuedBytesMax: options.queuedBytesMax ?? DEFAULT_WAL_LIMITS.queuedBytesMax,
    };
    assert(limits.segmentBytesMax >= 4096, 'segmentBytesMax below 4 KiB');
    const paths = dataDirectoryPaths(resolve(dataDir));
    // The data directory's own entry must be durable too, or a crash soon after the first boot
    // could lose the whole directory along with records already acknowledged.
    await createDirectoryDurably(fs, dirname(paths.root), paths.root);
    const lock = await DirectoryLock.acquire(paths.lock, paths.root);
    try {
      await createDirectoryDurably(fs, paths.root, paths.wal);
      await createDirectoryDurably(fs, paths.root, paths.snapshots);
    } catch (error) {
      await lock.release();
      throw error;
    }
    return new DurableStore<R>(paths, fs, limits, lock);
  }

  /**
   * Recovers the records (truncating a torn tail, refusing corruption) and opens the log for
   * appending. Call once, before `apply`.
   */
  async load(): Promise<LoadResult<R>> {
    assert(!this.loaded, 'DurableStore.load called twice');
    this.loaded = true;
    const recovered = await recoverStore(this.fs, this.paths, this.limits.recordBytesMax);
    this.log = await WriteAheadLog.open(
      this.fs,
      this.paths.wal,
      recovered.tail,
      recovered.nextSequence,
      this.limits,
    );
    return { records: recovered.records as R[], report: recovered.report };
  }

  /**
   * Applies one `Ready.persist` list in order. Resolves when every op is written and, if `sync`,
   * durable: only then may the batch's messages leave. A `replace` is always made durable (an atomic
   * rename is only atomic over fsynced data), whatever `sync` says.
   *
   * All or nothing: every record is encoded first, so a record JSON cannot represent (a bug in the
   * protocol) throws an AssertionError here with nothing of the call queued. Errors after that
   * (STORAGE_FAILED, STORAGE_OVERLOADED) stop the store for good; the node must restart.
   */
  apply(ops: readonly PersistOp<R>[], sync: boolean): Promise<void> {
    const log = this.log;
    assert(log !== undefined, 'DurableStore.apply before load');
    if (this.backgroundFailure !== undefined) return Promise.reject(this.backgroundFailure);
    const prepared = ops.map((op) => this.prepare(log, op));
    const pending: Promise<void>[] = [];
    for (const op of prepared) {
      if (op.kind === 'append') {
        if (op.recordCount > 0) pending.push(log.appendEncoded(op.buffer, op.recordCount, sync));
      } else if (op.kind === 'replace') {
        // Encoded in its turn, as it is written: a received snapshot can be hundreds of MB.
        pending.push(log.exclusive((control) => this.replace(control, op.records)));
      } else {
        pending.push(this.startBackgroundSnapshot(log, op.records));
      }
    }
    return Promise.all(pending).then(() => undefined);
  }

  /** Bytes accepted by `apply` and not yet written; a pipelining driver throttles on it. */
  backlogBytes(): number {
    return this.log?.backlogBytes ?? 0;
  }

  private prepare(log: WriteAheadLog, op: PersistOp<R>): PreparedOp {
    switch (op.kind) {
      case 'append':
        return {
          kind: 'append',
          buffer: log.encodeRecords(op.records),
          recordCount: op.records.length,
        };
      case 'replace':
        if (op.background === true) return { kind: 'background', records: op.records };
        return {
          kind: 'replace',
          records: prepareSnapshotRecords(op.records, this.limits.recordBytesMax),
        };
      default:
        return unreachable(op, 'persist op');
    }
  }

  stats(): DurableStoreStats {
    const log = this.log;
    const wal: WalStats = log?.stats ?? {
      appends: 0,
      records: 0,
      writes: 0,
      syncs: 0,
      bytesWritten: 0,
      segmentsCreated: 0,
    };
    return { ...wal, snapshots: this.snapshots };
  }

  /**
   * A background replace: only the cut to a new segment is ordered with the other ops (so it
   * resolves as soon as the next records have a segment of their own); the snapshot is encoded a
   * piece at a time and written after that, then the segments and snapshots before it are
   * deleted. Until its rename, recovery reads the previous snapshot and every segment since —
   * the same state, since the records restate what those segments hold. A failure fails every
   * later `apply`: the node must restart.
   */
  private startBackgroundSnapshot(log: WriteAheadLog, records: readonly unknown[]): Promise<void> {
    let firstSegment = 0;
    const cut = log.exclusive(async (control) => {
      firstSegment = await control.cut();
    });
    const previous = this.background;
    this.background = cut
      .then(() => previous)
      .then(async () => {
        const prepared = prepareSnapshotRecords(records, this.limits.recordBytesMax);
        await writeSnapshotAtomically(this.fs, this.paths.snapshots, firstSegment, prepared);
        await log.exclusive((control) => control.removeSegmentsBefore(firstSegment));
        await this.removeSnapshotsBefore(firstSegment);
        this.snapshots++;
      })
      .catch((error: unknown) => {
        this.backgroundFailure ??= error;
      });
    return cut;
  }

  /** Resolves once every background snapshot started so far is written (or has failed). */
  backgroundSnapshotsWritten(): Promise<void> {
    return this.background;
  }

  /** Waits for queued writes, closes the files and releases the directory lock. */
  async close(): Promise<void> {
    try {
      await this.background;
      await this.log?.close();
    } finally {
      await this.lock.release();
    }
  }

  /**
   * Snapshot, then the next segment, then compaction. A crash after any step leaves a consistent
   * directory: before the rename, the old snapshot and segments still describe the old state (the
   * temporary file is deleted on recovery); after it, the new snapshot names the first segment that
   * follows it, so recovery ignores and deletes every older segment and snapshot.
   */
  private async replace(control: WalControl, records: PreparedSnapshotRecords): Promise<void> {
    const firstSegment = control.currentSequence + 1;
    await writeSnapshotAtomically(this.fs, this.paths.snapshots, firstSegment, records);
    const sequence = await control.cut();
    assert(sequence === firstSegment, 'segment after a snapshot has the snapshot number');
    await control.removeSegmentsBefore(firstSegment);
    await this.removeSnapshotsBefore(firstSegment);
    this.snapshots++;
  }

  private async removeSnapshotsBefore(sequence: number): Promise<void> {
    for (const name of await this.fs.readdir(this.paths.snapshots)) {
      const number = parseSequenceName(name, 'snap');
      if (number !== undefined && number < sequence) {
        await this.fs.unlink(join(this.paths.snapshots, name));
      }
    }
    await this.fs.syncDirectory(this.paths.snapshots);
  }
}

/** mkdir, then fsync the parent so the new directory's entry survives a crash. */
async function createDirectoryDurably(fs: StorageFs, parent: string, path: string): Promise<void> {
  if ((await fs.readdir(parent)).includes(basename(path))) return;
  await fs.mkdir(path);
  await fs.syncDirectory(parent);
}
