import { join } from 'node:path';
import { SynodError } from '../core/errors.js';
import type { Frame, ScanStop } from './frame.js';
import { findValidFrame, FrameType, isZeroFrom, parseJsonPayload, scanFrames } from './frame.js';
import type { DataDirectoryPaths } from './layout.js';
import { isTemporaryName, parseSequenceName, sequenceName } from './layout.js';
import { readSnapshotFile } from './snapshot-file.js';
import type { StorageFs } from './storage-fs.js';
import { repairAdvice, StorageErrorCode, walCorruptError } from './storage-errors.js';
import { SEGMENT_FORMAT, type SegmentHeader } from './segment-header.js';

/** What recovery found and did, for the node's startup log. */
export interface RecoveryReport {
  readonly dataDir: string;
  readonly snapshot: { readonly file: string; readonly records: number } | null;
  readonly segments: readonly {
    readonly file: string;
    readonly records: number;
    readonly bytes: number;
  }[];
  /** The torn record cut from the end of the last segment, if there was one. */
  readonly truncatedTail: {
    readonly file: string;
    readonly offset: number;
    readonly bytesDiscarded: number;
    readonly reason: string;
  } | null;
  /** Leftovers of an interrupted snapshot or compaction, deleted. */
  readonly removedFiles: readonly string[];
  /** Names in wal/ or snap/ that Synod did not write; left alone. */
  readonly ignoredFiles: readonly string[];
  /** Records returned: the snapshot's plus every segment's. */
  readonly records: number;
}

export interface RecoveredState {
  readonly records: unknown[];
  readonly report: RecoveryReport;
  /** The segment to keep appending to, or null when a new one must be created. */
  readonly tail: { readonly sequence: number; readonly bytes: number } | null;
  /** The number the next new segment gets. */
  readonly nextSequence: number;
}

interface Listing {
  readonly numbered: number[];
  readonly temporary: string[];
  readonly ignored: string[];
}

async function listDirectory(
  fs: StorageFs,
  path: string,
  extension: 'wal' | 'snap',
): Promise<Listing> {
  const listing: Listing = { numbered: [], temporary: [], ignored: [] };
  for (const name of await fs.readdir(path)) {
    const sequence = parseSequenceName(name, extension);
    if (sequence !== undefined) listing.numbered.push(sequence);
    else if (isTemporaryName(name)) listing.temporary.push(join(path, name));
    else listing.ignored.push(join(path, name));
  }
  listing.numbered.sort((a, b) => a - b);
  return listing;
}

/**
 * Reads the newest snapshot and every segment after it, in order. A torn record at the end of the
 * last segment is cut off (on disk too, then fsynced) and reported; damage anywhere else throws a
 * SynodError naming the file and offset. Leftovers of an interrupted snapshot or compaction are
 * deleted only after everything read cleanly.
 */
export async function recoverStore(
  fs: StorageFs,
  paths: DataDirectoryPaths,
  payloadBytesMax: number,
): Promise<RecoveredState> {
  const snapshots = await listDirectory(fs, paths.snapshots, 'snap');
  const segments = await listDirectory(fs, paths.wal, 'wal');
  const newestSnapshot = snapshots.numbered.at(-1);
  let records: unknown[] = [];
  let snapshotReport: RecoveryReport['snapshot'] = null;
  if (newestSnapshot !== undefined) {
    const file = join(paths.snapshots, sequenceName(newestSnapshot, 'snap'));
    const contents = await readSnapshotFile(fs, file, payloadBytesMax, paths.root);
    records = contents.records;
    snapshotReport = { file, records: contents.records.length };
  }
  const firstSegment = newestSnapshot ?? 1;
  const live = segments.numbered.filter((sequence) => sequence >= firstSegment);
  checkContiguous(paths, live, firstSegment, newestSnapshot !== undefined);

  const segmentReports: { file: string; records: number; bytes: number }[] = [];
  let truncatedTail: RecoveryReport['truncatedTail'] = null;
  let tail: RecoveredState['tail'] = null;
  for (const [index, sequence] of live.entries()) {
    const isLast = index === live.length - 1;
    const segment = await readSegment(fs, paths, sequence, isLast, payloadBytesMax);
    // A loop, not push(...): spreading hundreds of thousands of arguments overflows the stack.
    for (const record of segment.records) records.push(record);
    segmentReports.push({
      file: segment.file,
      records: segment.records.length,
      bytes: segment.bytes,
    });
    truncatedTail = segment.truncated ?? truncatedTail;
    if (isLast) tail = { sequence, bytes: segment.bytes };
  }

  const removedFiles = [
    ...snapshots.temporary,
    ...snapshots.numbered
      .filter((sequence) => sequence !== newestSnapshot)
      .map((sequence) => join(paths.snapshots, sequenceName(sequence, 'snap'))),
    ...segments.temporary,
    ...segments.numbered
      .filter((sequence) => sequence < firstSegment)
      .map((sequence) => join(paths.wal, sequenceName(sequence, 'wal'))),
  ];
  for (const file of removedFiles) await fs.unlink(file);
  if (removedFiles.length > 0) {
    await fs.syncDirectory(paths.snapshots);
    await fs.syncDirectory(paths.wal);
  }
  const report: RecoveryReport = {
    dataDir: paths.root,
    snapshot: snapshotReport,
    segments: segmentReports,
    truncatedTail,
    removedFiles,
    ignoredFiles: [...snapshots.ignored, ...segments.ignored],
    records: records.length,
  };
  const nextSequence = (live.at(-1) ?? firstSegment - 1) + 1;
  return { records, report, tail, nextSequence };
}

function checkContiguous(
  paths: DataDirectoryPaths,
  live: readonly number[],
  firstSegment: number,
  hasSnapshot: boolean,
): void {
  // After a snapshot with no segment yet (a crash between the rename and the next segment's
  // creation) there is nothing to check; otherwise the segments must start right after the
  // snapshot (or at 1) and have no gaps, or acknowledged records are missing.
  let expected = firstSegment;
  for (const sequence of live) {
    if (sequence !== expected) {
      const after = hasSnapshot
        ? `the snapshot ${sequenceName(firstSegment, 'snap')}`
        : 'the start';
      throw new SynodError(
        StorageErrorCode.walMissingSegment,
        `WAL incomplete: segment ${join(paths.wal, sequenceName(expected, 'wal'))} is missing ` +
          `(expected after ${after}; found ${sequenceName(sequence, 'wal')}). Records in it were ` +
          `acknowledged and cannot be recovered here. ${repairAdvice(paths.root)}`,
      );
    }
    expected++;
  }
}

interface SegmentContents {
  readonly file: string;
  readonly records: unknown[];
  /** Bytes of valid frames (after any truncation). */
  readonly bytes: number;
  readonly truncated?: NonNullable<RecoveryReport['truncatedTail']>;
}

async function readSegment(
  fs: StorageFs,
  paths: DataDirectoryPaths,
  sequence: number,
  isLast: boolean,
  payloadBytesMax: number,
): Promise<SegmentContents> {
  const file = join(paths.wal, sequenceName(sequence, 'wal'));
  const buffer = await fs.readFile(file);
  const scan = scanFrames(buffer, payloadBytesMax);
  if (scan.stop !== undefined && (!isLast || !isTornTail(buffer, scan.stop, payloadBytesMax))) {
    throw walCorruptError(
      paths.root,
      file,
      scan.stop.offset,
      describeStop(buffer, scan.stop, payloadBytesMax),
    );
  }
  // Decode before truncating, so a file that is wrong in other ways is left untouched.
  const records = decodeSegmentFrames(paths.root, file, sequence, scan.frames, isLast);
  let truncated: SegmentContents['truncated'];
  if (scan.stop !== undefined) {
    await truncateFile(fs, file, scan.validBytes);
    truncated = {
      file,
      offset: scan.validBytes,
      bytesDiscarded: buffer.length - scan.validBytes,
      reason: scan.stop.reason,
    };
  }
  return { file, records, bytes: scan.validBytes, ...(truncated ? { truncated } : {}) };
}

/**
 * A crash during the last write leaves its frames incomplete (the file ends inside one), or
 * complete in length with blocks that never reached the disk (zeros or stale bytes) inside. Either
 * way no valid frame follows the damage, because the damaged write was the last one. So at the end
 * of the last segment, damage with no valid frame after it is a torn write; damage followed by a
 * valid frame is corruption, even when its length field claims to run past the end of the file
 * (a flipped bit there must not make us truncate acknowledged records).
 */
function isTornTail(buffer: Buffer, stop: ScanStop, payloadBytesMax: number): boolean {
  if (isZeroFrom(buffer, stop.offset)) return true;
  return findValidFrame(buffer, stop.offset + 1, payloadBytesMax) === undefined;
}

function describeStop(buffer: Buffer, stop: ScanStop, payloadBytesMax: number): string {
  const next = findValidFrame(buffer, stop.offset + 1, payloadBytesMax);
  return next === undefined
    ? stop.reason
    : `${stop.reason}; a valid frame follows at offset ${next}`;
}

async function truncateFile(fs: StorageFs, path: string, bytes: number): Promise<void> {
  const file = await fs.open(path, 'readWrite');
  try {
    await file.truncate(bytes);
    await file.datasync();
  } finally {
    await file.close();
  }
}

function decodeSegmentFrames(
  dataDir: string,
  file: string,
  sequence: number,
  frames: readonly Frame[],
  isLast: boolean,
): unknown[] {
  const [header, ...rest] = frames;
  if (header === undefined) {
    // Only the last segment may be empty: a crash right after its creation. Every earlier one was
    // fsynced, header included, before the next was created.
    if (isLast) return [];
    throw walCorruptError(dataDir, file, 0, 'segment is empty');
  }
  const parsed = header.type === FrameType.segmentHeader ? decodeJson(dataDir, file, header) : null;
  const segmentHeader = parsed as SegmentHeader | null;
  if (segmentHeader?.format !== SEGMENT_FORMAT || segmentHeader.segment !== sequence) {
    throw walCorruptError(dataDir, file, 0, `not a segment header for segment ${sequence}`);
  }
  return rest.map((frame) => {
    if (frame.type !== FrameType.record) {
      throw walCorruptError(dataDir, file, frame.offset, `unexpected frame type ${frame.type}`);
    }
    return decodeJson(dataDir, file, frame);
  });
}

function decodeJson(dataDir: string, file: string, frame: Frame): unknown {
  try {
    return parseJsonPayload(frame);
  } catch (error) {
    // The checksum matched, so the bytes are what was written: this is a bug, but still refuse.
    throw walCorruptError(dataDir, file, frame.offset, `payload is not JSON: ${String(error)}`);
  }
}
