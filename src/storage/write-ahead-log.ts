import { join } from 'node:path';
import { assert } from '../core/assert.js';
import { SynodError } from '../core/errors.js';
import { encodeJsonFrames, FrameType } from './frame.js';
import { parseSequenceName, sequenceName } from './layout.js';
import { segmentHeader } from './segment-header.js';
import type { StorageFile, StorageFs } from './storage-fs.js';
import { StorageErrorCode } from './storage-errors.js';

export interface WalLimits {
  /** A new segment is started when the next write would take the current one past this. */
  readonly segmentBytesMax: number;
  /** The largest encoded record. */
  readonly recordBytesMax: number;
  /**
   * Bytes accepted but not yet written. The driver throttles on `backlogBytes`; an append beyond
   * the limit stops the log (STORAGE_OVERLOADED), see `appendEncoded`.
   */
  readonly queuedBytesMax: number;
}

export const DEFAULT_WAL_LIMITS: WalLimits = {
  segmentBytesMax: 64 * 1024 * 1024,
  recordBytesMax: 16 * 1024 * 1024,
  queuedBytesMax: 256 * 1024 * 1024,
};

export interface WalStats {
  appends: number;
  records: number;
  /** Gather-writes issued: one per group of appends. */
  writes: number;
  /** fdatasync calls on segments. Fewer than `appends` means group commit is working. */
  syncs: number;
  bytesWritten: number;
  segmentsCreated: number;
}

/** What an exclusive task may do to the log while nothing else touches it. */
export interface WalControl {
  readonly currentSequence: number;
  /** Syncs and closes the current segment and starts the next one; returns its number. */
  cut(): Promise<number>;
  /** Deletes every segment numbered below `sequence` and fsyncs the directory. */
  removeSegmentsBefore(sequence: number): Promise<void>;
}

interface Settle {
  resolve(): void;
  reject(error: unknown): void;
}

type QueueItem =
  | { readonly kind: 'append'; readonly buffer: Buffer; readonly sync: boolean; settle: Settle }
  | { readonly kind: 'exclusive'; readonly run: () => Promise<void>; settle: Settle };

interface OpenSegment {
  readonly sequence: number;
  readonly file: StorageFile;
  /** Size of the segment header frame: a segment holding no more than this has no records. */
  readonly headerBytes: number;
  bytes: number;
  /** Written since the last fdatasync. */
  dirty: boolean;
}

/**
 * An append-only log of JSON records in segment files, with group commit: appends queue up while a
 * write and its fdatasync are in flight, and the next write takes every queued append at once, as
 * one gather-write and one fdatasync. So at most one sync is in flight, and the number of syncs
 * falls as concurrency rises instead of the latency rising.
 *
 * After any I/O error the log is failed for good: every pending and later append is rejected. A
 * failed fsync may have dropped dirty pages that a retry would then report as clean ("fsyncgate"),
 * so the only safe continuation is a restart that recovers from what is on disk.
 */
export class WriteAheadLog {
  readonly stats: WalStats = {
    appends: 0,
    records: 0,
    writes: 0,
    syncs: 0,
    bytesWritten: 0,
    segmentsCreated: 0,
  };
  private readonly queue: QueueItem[] = [];
  private queuedBytes = 0;
  private draining = false;
  private failure: SynodError | undefined;
  /** Set when an append was refused: every later one is too, so the history has no hole. */
  private refusedFrom: SynodError | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly fs: StorageFs,
    private readonly directory: string,
    private readonly limits: WalLimits,
    private segment: OpenSegment,
  ) {}

  /** Continues the recovered last segment, or creates segment `nextSequence`. */
  static async open(
    fs: StorageFs,
    directory: string,
    tail: { readonly sequence: number; readonly bytes: number } | null,
    nextSequence: number,
    limits: WalLimits,
  ): Promise<WriteAheadLog> {
    assert(limits.recordBytesMax <= limits.queuedBytesMax, 'a record must fit the queue');
    if (tail === null) {
      const segment = await createSegment(fs, directory, nextSequence, limits);
      const log = new WriteAheadLog(fs, directory, limits, segment);
      log.stats.segmentsCreated++;
      return log;
    }
    const path = join(directory, sequenceName(tail.sequence, 'wal'));
    const file = await fs.open(path, 'readWrite');
    const headerBytes = encodeHeader(tail.sequence, limits).length;
    const segment: OpenSegment = {
      sequence: tail.sequence,
      file,
      headerBytes,
      bytes: tail.bytes,
      dirty: false,
    };
    if (tail.bytes === 0) {
      // The header itself was torn off by a crash right after the segment was created.
      segment.bytes = await writeHeader(file, tail.sequence, limits);
    }
    return new WriteAheadLog(fs, directory, limits, segment);
  }

  get currentSequence(): number {
    return this.segment.sequence;
  }

  /** Bytes accepted and not yet written: what a driver watches to throttle. */
  get backlogBytes(): number {
    return this.queuedBytes;
  }

  /**
   * Encodes records as WAL frames. Throws an AssertionError, a bug in the caller, for a record that
   * JSON cannot represent or that is above `recordBytesMax`.
   */
  encodeRecords(records: readonly unknown[]): Buffer {
    return encodeJsonFrames(FrameType.record, records, this.limits.recordBytesMax);
  }

  /** `appendEncoded(encodeRecords(records), records.length, sync)`. */
  append(records: readonly unknown[], sync: boolean): Promise<void> {
    return this.appendEncoded(this.encodeRecords(records), records.length, sync);
  }

  /**
   * Appends encoded records, in call order across all callers. Resolves once they are written and,
   * when `sync` is true, fdatasynced.
   *
   * An append that would take the backlog past `queuedBytesMax` is refused with
   * STORAGE_OVERLOADED, and so is every append after it, while what was accepted before is still
   * written. Refusing one batch but accepting a later one would leave a hole in the node's durable
   * history, which its in-memory state already counts on; so an overloaded log stops, and the node
   * restarts from what is on disk. Drivers avoid it by throttling on `backlogBytes`.
   */
  appendEncoded(buffer: Buffer, recordCount: number, sync: boolean): Promise<void> {
    const refusal = this.refusal();
    if (refusal !== undefined) return Promise.reject(refusal);
    if (this.queuedBytes > 0 && this.queuedBytes + buffer.length > this.limits.queuedBytesMax) {
      this.refusedFrom = new SynodError(
        StorageErrorCode.storageOverloaded,
        `storage overloaded: ${this.queuedBytes} bytes already wait for the disk (limit ` +
          `${this.limits.queuedBytesMax}), so this write and every later one are refused; the ` +
          `node must restart. The driver should throttle on backlogBytes.`,
      );
      return Promise.reject(this.refusedFrom);
    }
    this.stats.appends++;
    this.stats.records += recordCount;
    return this.enqueue((settle) => ({ kind: 'append', buffer, sync, settle }), buffer.length);
  }

  /**
   * Runs `task` after everything queued before it is written, with nothing written concurrently;
   * later appends wait for it. A failing task fails the log (its I/O state is unknown).
   */
  exclusive(task: (control: WalControl) => Promise<void>): Promise<void> {
    const refusal = this.refusal();
    if (refusal !== undefined) return Promise.reject(refusal);
    return this.enqueue(
      (settle) => ({ kind: 'exclusive', run: () => task(this.control()), settle }),
      0,
    );
  }

  /**
   * Refuses new work at once, finishes what is queued, then closes the segment. Idempotent; safe
   * after a failure.
   */
  close(): Promise<void> {
    this.closing ??= this.finishAndClose();
    return this.closing;
  }

  private async finishAndClose(): Promise<void> {
    if (this.failure === undefined) {
      const finished = (settle: Settle): QueueItem => ({
        kind: 'exclusive',
        run: async () => {},
        settle,
      });
      await this.enqueue(finished, 0).catch(() => undefined);
    }
    await this.segment.file.close().catch(() => undefined);
  }

  private refusal(): SynodError | undefined {
    if (this.failure !== undefined) return this.failure;
    if (this.refusedFrom !== undefined) return this.refusedFrom;
    if (this.closing !== undefined) {
      return new SynodError(StorageErrorCode.storageClosed, 'storage is closed');
    }
    return undefined;
  }

  private enqueue(make: (settle: Settle) => QueueItem, bytes: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push(make({ resolve, reject }));
      this.queuedBytes += bytes;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length > 0 && this.failure === undefined) {
        const head = this.queue[0] as QueueItem;
        if (head.kind === 'exclusive') {
          this.queue.shift();
          await this.runExclusive(head);
        } else {
          await this.writeGroup();
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async runExclusive(item: Extract<QueueItem, { kind: 'exclusive' }>): Promise<void> {
    try {
      await item.run();
      item.settle.resolve();
    } catch (error) {
      item.settle.reject(this.fail(error));
    }
  }

  /** Writes every queued append up to the next exclusive task or the segment limit. */
  private async writeGroup(): Promise<void> {
    const first = this.queue[0] as Extract<QueueItem, { kind: 'append' }>;
    const wouldOverflow = this.segment.bytes + first.buffer.length > this.limits.segmentBytesMax;
    const group: Extract<QueueItem, { kind: 'append' }>[] = [];
    try {
      if (wouldOverflow && this.segment.bytes > this.segment.headerBytes) await this.cut();
      const roomBytes = Math.max(this.limits.segmentBytesMax - this.segment.bytes, 0);
      let groupBytes = 0;
      let sync = false;
      for (const item of this.queue) {
        if (item.kind !== 'append') break;
        if (group.length > 0 && groupBytes + item.buffer.length > roomBytes) break;
        group.push(item);
        groupBytes += item.buffer.length;
        sync ||= item.sync;
      }
      this.queue.splice(0, group.length);
      this.queuedBytes -= groupBytes;
      await this.segment.file.writev(
        group.map((item) => item.buffer),
        this.segment.bytes,
      );
      this.segment.bytes += groupBytes;
      this.segment.dirty = true;
      this.stats.writes++;
      this.stats.bytesWritten += groupBytes;
      if (sync) await this.syncSegment();
    } catch (error) {
      for (const item of group) item.settle.reject(this.fail(error));
      return;
    }
    for (const item of group) item.settle.resolve();
  }

  private async syncSegment(): Promise<void> {
    if (!this.segment.dirty) return;
    await this.segment.file.datasync();
    this.segment.dirty = false;
    this.stats.syncs++;
  }

  private async cut(): Promise<number> {
    // The old segment must be durable before records land in the next one, or a crash could keep
    // the later records and lose earlier ones: a hole recovery would refuse.
    await this.syncSegment();
    await this.segment.file.close();
    const next = await createSegment(
      this.fs,
      this.directory,
      this.segment.sequence + 1,
      this.limits,
    );
    this.segment = next;
    this.stats.segmentsCreated++;
    return next.sequence;
  }

  private control(): WalControl {
    return {
      currentSequence: this.segment.sequence,
      cut: () => this.cut(),
      removeSegmentsBefore: async (sequence) => {
        assert(sequence <= this.segment.sequence, 'cannot remove the open segment');
        for (const name of await this.fs.readdir(this.directory)) {
          const number = parseSequenceName(name, 'wal');
          if (number !== undefined && number < sequence) {
            await this.fs.unlink(join(this.directory, name));
          }
        }
        await this.fs.syncDirectory(this.directory);
      },
    };
  }

  /** Marks the log failed (first error wins) and rejects everything still queued. */
  private fail(error: unknown): SynodError {
    if (this.failure === undefined) {
      this.failure = new SynodError(
        StorageErrorCode.storageFailed,
        `storage failed: ${error instanceof Error ? error.message : String(error)}. The node must ` +
          `restart and recover from disk; writes after a failed write or fsync cannot be trusted.`,
      );
      this.failure.cause = error;
    }
    const pending = this.queue.splice(0);
    this.queuedBytes = 0;
    for (const item of pending) item.settle.reject(this.failure);
    return this.failure;
  }
}

function encodeHeader(sequence: number, limits: WalLimits): Buffer {
  return encodeJsonFrames(
    FrameType.segmentHeader,
    [segmentHeader(sequence)],
    limits.recordBytesMax,
  );
}

async function writeHeader(
  file: StorageFile,
  sequence: number,
  limits: WalLimits,
): Promise<number> {
  const header = encodeHeader(sequence, limits);
  await file.writev([header], 0);
  await file.datasync();
  return header.length;
}

/** Creates a segment with its header, both durable along with its directory entry. */
async function createSegment(
  fs: StorageFs,
  directory: string,
  sequence: number,
  limits: WalLimits,
): Promise<OpenSegment> {
  const file = await fs.open(join(directory, sequenceName(sequence, 'wal')), 'create');
  const bytes = await writeHeader(file, sequence, limits);
  await fs.syncDirectory(directory);
  return { sequence, file, headerBytes: bytes, bytes, dirty: false };
}
