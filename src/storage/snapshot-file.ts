import { basename, join } from 'node:path';
import { SynodError } from '../core/errors.js';
import { assert } from '../core/assert.js';
import {
  encodeJsonFrames,
  encodeTextFrame,
  FrameType,
  parseJsonPayload,
  scanFrames,
} from './frame.js';
import { sequenceName, temporaryName } from './layout.js';
import type { StorageFs } from './storage-fs.js';
import { repairAdvice, StorageErrorCode } from './storage-errors.js';

/**
 * A snapshot file: a header frame, chunk frames each holding a JSON array of records, and an end
 * frame repeating the count. It replaces the node's whole durable state, and its number is the
 * first WAL segment that follows it: recovery reads the newest snapshot, then the segments
 * numbered from there on. Chunks rather than a frame per record, because a snapshot is large and
 * written and read whole: one stringify, one parse and one checksum per few thousand records make
 * writing and loading it about twice as fast.
 */
interface SnapshotHeader {
  readonly format: 'synod-snapshot';
  readonly version: 1;
  readonly firstSegment: number;
  readonly recordCount: number;
}

/** Records per chunk frame, unless the chunk would exceed the frame payload limit. */
const RECORDS_PER_CHUNK = 4096;
/** Header and end frames are tiny; this only bounds them. */
const FRAME_METADATA_BYTES_MAX = 4096;

/** The snapshot's records as frames, in chunks; encoded before the write so errors come early. */
export interface EncodedSnapshotRecords {
  readonly chunks: readonly Buffer[];
  readonly recordCount: number;
}

/** Throws an AssertionError for a record JSON cannot represent or above `payloadBytesMax`. */
export function encodeSnapshotRecords(
  records: readonly unknown[],
  payloadBytesMax: number,
): EncodedSnapshotRecords {
  const chunks: Buffer[] = [];
  for (let start = 0; start < records.length; start += RECORDS_PER_CHUNK) {
    encodeChunk(records.slice(start, start + RECORDS_PER_CHUNK), payloadBytesMax, chunks);
  }
  return { chunks, recordCount: records.length };
}

/** Encodes records as one chunk frame, halving the chunk until it fits the payload limit. */
function encodeChunk(records: readonly unknown[], payloadBytesMax: number, out: Buffer[]): void {
  for (const [index, record] of records.entries()) {
    // Inside an array JSON writes these as null instead of refusing them.
    const representable =
      record !== undefined && typeof record !== 'function' && typeof record !== 'symbol';
    assert(representable, `snapshot record ${index} is not JSON-serializable`);
  }
  const text = JSON.stringify(records);
  const payloadBytes = Buffer.byteLength(text, 'utf8');
  if (payloadBytes <= payloadBytesMax) {
    out.push(encodeTextFrame(FrameType.snapshotChunk, text, payloadBytes));
    return;
  }
  assert(records.length > 1, `snapshot record of ${payloadBytes} bytes exceeds ${payloadBytesMax}`);
  const half = Math.ceil(records.length / 2);
  encodeChunk(records.slice(0, half), payloadBytesMax, out);
  encodeChunk(records.slice(half), payloadBytesMax, out);
}

/**
 * Writes the snapshot so that a crash at any point leaves either the old state or the new one:
 * temporary file, fsync, rename, fsync of the directory. Returns the file name.
 */
export async function writeSnapshotAtomically(
  fs: StorageFs,
  directory: string,
  firstSegment: number,
  records: EncodedSnapshotRecords,
): Promise<string> {
  const name = sequenceName(firstSegment, 'snap');
  const temporaryPath = join(directory, temporaryName(name));
  const header: SnapshotHeader = {
    format: 'synod-snapshot',
    version: 1,
    firstSegment,
    recordCount: records.recordCount,
  };
  const end = { recordCount: records.recordCount };
  const buffers = [
    encodeJsonFrames(FrameType.snapshotHeader, [header], FRAME_METADATA_BYTES_MAX),
    ...records.chunks,
    encodeJsonFrames(FrameType.snapshotEnd, [end], FRAME_METADATA_BYTES_MAX),
  ];
  await fs.unlink(temporaryPath); // left over by a crash during an earlier attempt
  const file = await fs.open(temporaryPath, 'create');
  try {
    await file.writev(buffers, 0);
    await file.sync();
  } finally {
    await file.close();
  }
  await fs.rename(temporaryPath, join(directory, name));
  await fs.syncDirectory(directory);
  return name;
}

export interface SnapshotContents {
  readonly firstSegment: number;
  readonly records: unknown[];
}

/**
 * Reads and verifies a snapshot. Any damage is fatal: the file was fsynced before it was renamed
 * into place, so a short or damaged snapshot is corruption, never a torn write.
 */
export async function readSnapshotFile(
  fs: StorageFs,
  path: string,
  payloadBytesMax: number,
  dataDir: string,
): Promise<SnapshotContents> {
  const scan = scanFrames(await fs.readFile(path), payloadBytesMax);
  if (scan.stop !== undefined) {
    throw snapshotCorrupt(dataDir, path, `at byte offset ${scan.stop.offset}: ${scan.stop.reason}`);
  }
  const [first, ...rest] = scan.frames;
  const last = rest.pop();
  if (first?.type !== FrameType.snapshotHeader || last?.type !== FrameType.snapshotEnd) {
    throw snapshotCorrupt(dataDir, path, 'missing header or end frame');
  }
  const header = parseJsonPayload(first) as SnapshotHeader;
  const expectedName = sequenceName(header.firstSegment, 'snap');
  if (header.format !== 'synod-snapshot' || header.version !== 1) {
    throw snapshotCorrupt(dataDir, path, `unknown format ${JSON.stringify(header)}`);
  }
  if (basename(path) !== expectedName) {
    throw snapshotCorrupt(dataDir, path, `header names segment ${header.firstSegment}`);
  }
  const records: unknown[] = [];
  for (const frame of rest) {
    const chunk = frame.type === FrameType.snapshotChunk ? parseJsonPayload(frame) : undefined;
    if (!Array.isArray(chunk)) {
      throw snapshotCorrupt(dataDir, path, `at byte offset ${frame.offset}: not a record chunk`);
    }
    for (const record of chunk) records.push(record);
  }
  if (records.length !== header.recordCount) {
    throw snapshotCorrupt(
      dataDir,
      path,
      `holds ${records.length} records, expected ${header.recordCount}`,
    );
  }
  return { firstSegment: header.firstSegment, records };
}

function snapshotCorrupt(dataDir: string, path: string, detail: string): SynodError {
  return new SynodError(
    StorageErrorCode.snapshotCorrupt,
    `snapshot corrupt: ${path} ${detail}. ${repairAdvice(dataDir)}`,
  );
}
