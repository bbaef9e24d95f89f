import { basename, join } from 'node:path';
import { SynodError } from '../core/errors.js';
import { assert } from '../core/assert.js';
import { JsonJoiner, JsonPieceError, splitLongArrays } from '../core/json-pieces.js';
import {
  encodeJsonFrames,
  encodeTextFrame,
  FrameType,
  FrameStream,
  parseJsonPayload,
} from './frame.js';
import type { Frame } from './frame.js';
import { sequenceName, temporaryName } from './layout.js';
import type { StorageFs } from './storage-fs.js';
import { repairAdvice, StorageErrorCode } from './storage-errors.js';

/**
 * A snapshot file: a header frame, the records, and an end frame repeating the count. It replaces
 * the node's whole durable state, and its number is the first WAL segment that follows it:
 * recovery reads the newest snapshot, then the segments numbered from there on.
 *
 * Records go in chunk frames, each a JSON array of a few thousand records: one stringify, one
 * parse and one checksum per chunk make writing and loading about twice as fast as a frame per
 * record. A record holding a long array (the MVCC state of a million keys, the log after the
 * snapshot) goes instead in piece frames of its own (src/core/json-pieces.ts: a head, then slices
 * of about a thousand elements), so that no frame holds the whole state: it is written and read a
 * piece at a time, the reader yields to the event loop between pieces, and its size is not bound
 * by V8's largest string (about 512 MiB). Version 1 files (chunk frames only) are still read.
 */
interface SnapshotHeader {
  readonly format: 'synod-snapshot';
  readonly version: 1 | 2;
  readonly firstSegment: number;
  readonly recordCount: number;
}

/** Records per chunk frame, unless the chunk would exceed the frame payload limit. */
const RECORDS_PER_CHUNK = 4096;
/** Header and end frames are tiny; this only bounds them. */
const FRAME_METADATA_BYTES_MAX = 4096;

/** The snapshot's records as frames, all at once: what `encodeSnapshotRecords` returns. */
export interface EncodedSnapshotRecords {
  readonly chunks: readonly Buffer[];
  readonly recordCount: number;
}

/**
 * Records checked and, but for their long arrays, already stringified: what a replace holds from
 * the moment it is accepted (so that a record JSON cannot represent is refused then, with nothing
 * queued) to its turn to be written, when `writeSnapshotAtomically` makes the frames as it writes.
 */
export interface PreparedSnapshotRecords {
  readonly parts: readonly (string | Generator<string, void, undefined>)[];
  readonly recordCount: number;
  readonly payloadBytesMax: number;
}

/**
 * Throws an AssertionError for a record JSON cannot represent or above `payloadBytesMax`. Cheap
 * for a large record: its long arrays are found, not stringified.
 */
export function prepareSnapshotRecords(
  records: readonly unknown[],
  payloadBytesMax: number,
): PreparedSnapshotRecords {
  const parts: PreparedSnapshotRecords['parts'][number][] = [];
  for (const [index, record] of records.entries()) {
    // Inside an array JSON writes these as null instead of refusing them.
    const representable =
      record !== undefined && typeof record !== 'function' && typeof record !== 'symbol';
    assert(representable, `snapshot record ${index} is not JSON-serializable`);
    const pieces = splitLongArrays(record);
    if (pieces !== undefined) {
      parts.push(pieces);
      continue;
    }
    const text = JSON.stringify(record);
    const bytes = Buffer.byteLength(text, 'utf8');
    // '[' + record + ']' must fit a frame on its own.
    assert(
      bytes + 2 <= payloadBytesMax,
      `snapshot record of ${bytes} bytes exceeds ${payloadBytesMax}`,
    );
    parts.push(text);
  }
  return { parts, recordCount: records.length, payloadBytesMax };
}

/**
 * The frames `writeSnapshotAtomically` writes between header and end, in memory: for inspecting
 * them (tests). Throws an AssertionError for a record JSON cannot represent or above
 * `payloadBytesMax`.
 */
export function encodeSnapshotRecords(
  records: readonly unknown[],
  payloadBytesMax: number,
): EncodedSnapshotRecords {
  const prepared = prepareSnapshotRecords(records, payloadBytesMax);
  return { chunks: [...snapshotFrames(prepared)], recordCount: records.length };
}

/** Bytes of frames written at a time. */
const BYTES_PER_WRITE = 4 * 1024 * 1024;

/**
 * The record frames, made one at a time: records without long arrays packed into chunk frames,
 * and each record with one (the MVCC state, a long list of entries) as piece frames of its own.
 */
function* snapshotFrames(prepared: PreparedSnapshotRecords): Generator<Buffer> {
  const { payloadBytesMax } = prepared;
  let chunk: string[] = [];
  let chunkBytes = 1; // the closing bracket
  const flush = (): Buffer | undefined => {
    if (chunk.length === 0) return undefined;
    const text = `[${chunk.join(',')}]`;
    chunk = [];
    chunkBytes = 1;
    return encodeTextFrame(FrameType.snapshotChunk, text, Buffer.byteLength(text, 'utf8'));
  };
  for (const part of prepared.parts) {
    if (typeof part !== 'string') {
      const before = flush();
      if (before !== undefined) yield before;
      for (const piece of part) yield pieceFrame(piece, payloadBytesMax);
      continue;
    }
    const bytes = Buffer.byteLength(part, 'utf8');
    if (chunk.length === RECORDS_PER_CHUNK || chunkBytes + 1 + bytes > payloadBytesMax) {
      const full = flush();
      if (full !== undefined) yield full;
    }
    chunk.push(part);
    chunkBytes += 1 + bytes;
  }
  const last = flush();
  if (last !== undefined) yield last;
}

function pieceFrame(piece: string, payloadBytesMax: number): Buffer {
  const bytes = Buffer.byteLength(piece, 'utf8');
  assert(
    bytes <= payloadBytesMax,
    `snapshot record piece of ${bytes} bytes exceeds ${payloadBytesMax}`,
  );
  return encodeTextFrame(FrameType.snapshotPiece, piece, bytes);
}

/**
 * Writes the snapshot so that a crash at any point leaves either the old state or the new one:
 * temporary file, fsync, rename, fsync of the directory. Returns the file name.
 */
export async function writeSnapshotAtomically(
  fs: StorageFs,
  directory: string,
  firstSegment: number,
  records: PreparedSnapshotRecords,
): Promise<string> {
  const name = sequenceName(firstSegment, 'snap');
  const temporaryPath = join(directory, temporaryName(name));
  const header: SnapshotHeader = {
    format: 'synod-snapshot',
    version: 2,
    firstSegment,
    recordCount: records.recordCount,
  };
  const end = { recordCount: records.recordCount };
  await fs.unlink(temporaryPath); // left over by a crash during an earlier attempt
  const file = await fs.open(temporaryPath, 'create');
  try {
    // Encoded as it is written, a few megabytes per write: the encoded snapshot (hundreds of
    // megabytes at a million keys) is never in memory whole, and each write lets the loop breathe.
    let offset = 0;
    let batch = [encodeJsonFrames(FrameType.snapshotHeader, [header], FRAME_METADATA_BYTES_MAX)];
    let batchBytes = (batch[0] as Buffer).length;
    const write = async () => {
      offset += await file.writev(batch, offset);
      batch = [];
      batchBytes = 0;
    };
    for (const frame of snapshotFrames(records)) {
      batch.push(frame);
      batchBytes += frame.length;
      if (batchBytes >= BYTES_PER_WRITE) await write();
    }
    batch.push(encodeJsonFrames(FrameType.snapshotEnd, [end], FRAME_METADATA_BYTES_MAX));
    await write();
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
  const stream = new FrameStream(payloadBytesMax);
  let header: SnapshotHeader | undefined;
  let ended = false;
  const records: unknown[] = [];
  let joiner: JsonJoiner | undefined;
  const take = (frame: Frame): void => {
    const problem = `at byte offset ${frame.offset}`;
    if (header === undefined) {
      if (frame.type !== FrameType.snapshotHeader)
        throw snapshotCorrupt(dataDir, path, 'missing header or end frame');
      header = checkedHeader(parseJsonPayload(frame) as SnapshotHeader, path, dataDir);
    } else if (ended) {
      throw snapshotCorrupt(dataDir, path, `${problem}: a frame after the end frame`);
    } else if (frame.type === FrameType.snapshotEnd) {
      ended = true;
    } else if (frame.type === FrameType.snapshotPiece) {
      joiner ??= new JsonJoiner();
      try {
        joiner.push(parseJsonPayload(frame));
      } catch (error) {
        if (!(error instanceof JsonPieceError)) throw error;
        throw snapshotCorrupt(dataDir, path, `${problem}: ${error.message}`);
      }
      if (joiner.done) {
        records.push(joiner.result());
        joiner = undefined;
      }
    } else {
      const chunk = frame.type === FrameType.snapshotChunk ? parseJsonPayload(frame) : undefined;
      if (!Array.isArray(chunk) || joiner !== undefined) {
        throw snapshotCorrupt(dataDir, path, `${problem}: not a record chunk`);
      }
      for (const record of chunk) records.push(record);
    }
  };
  // Read and parsed a chunk at a time: the file is never in memory whole (nor bound by Node's
  // 2 GiB readFile limit), and each chunk's read gives the event loop its turn while it loads.
  for await (const chunk of fs.readChunks(path, READ_CHUNK_BYTES)) {
    const { frames, damaged } = stream.push(chunk);
    for (const frame of frames) take(frame);
    if (damaged !== undefined)
      throw snapshotCorrupt(dataDir, path, `at byte offset ${damaged.offset}: ${damaged.reason}`);
  }
  const cut = stream.finish();
  if (cut !== undefined)
    throw snapshotCorrupt(dataDir, path, `at byte offset ${cut.offset}: ${cut.reason}`);
  if (header === undefined || !ended)
    throw snapshotCorrupt(dataDir, path, 'missing header or end frame');
  if (joiner !== undefined) throw snapshotCorrupt(dataDir, path, 'ends inside a record in pieces');
  if (records.length !== header.recordCount) {
    throw snapshotCorrupt(
      dataDir,
      path,
      `holds ${records.length} records, expected ${header.recordCount}`,
    );
  }
  return { firstSegment: header.firstSegment, records };
}

/** Bytes read from a snapshot file at a time. */
const READ_CHUNK_BYTES = 4 * 1024 * 1024;

function checkedHeader(header: SnapshotHeader, path: string, dataDir: string): SnapshotHeader {
  if (
    typeof header !== 'object' ||
    header === null ||
    header.format !== 'synod-snapshot' ||
    (header.version !== 1 && header.version !== 2)
  ) {
    throw snapshotCorrupt(dataDir, path, `unknown format ${JSON.stringify(header)}`);
  }
  if (basename(path) !== sequenceName(header.firstSegment, 'snap')) {
    throw snapshotCorrupt(dataDir, path, `header names segment ${header.firstSegment}`);
  }
  return header;
}

function snapshotCorrupt(dataDir: string, path: string, detail: string): SynodError {
  return new SynodError(
    StorageErrorCode.snapshotCorrupt,
    `snapshot corrupt: ${path} ${detail}. ${repairAdvice(dataDir)}`,
  );
}
