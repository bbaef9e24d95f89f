import { basename, join } from 'node:path';
import { SynodError } from '../core/errors.js';
import { assert } from '../core/assert.js';
import { crc32c } from './crc32c.js';
import {
  encodeJsonFrames,
  FRAME_HEADER_BYTES,
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

/** Array elements stringified at once before the encoder may yield to the event loop. */
const ELEMENTS_PER_PIECE = 1024;
/** Bytes of JSON produced between two yields to the event loop. */
const BYTES_PER_YIELD = 4 * 1024 * 1024;

/**
 * `encodeSnapshotRecords` for a state too large to stringify in one go (a million-key MVCC
 * snapshot inside one record): the same frames, byte for byte, built from JSON pieces of at most
 * ELEMENTS_PER_PIECE array elements, yielding to the event loop every few megabytes, so the node
 * goes on serving while its snapshot is encoded. The records must not change meanwhile (the engine
 * hands over a snapshot it never mutates). Rejects with an AssertionError where the synchronous
 * encoder throws.
 */
export async function encodeSnapshotRecordsAsync(
  records: readonly unknown[],
  payloadBytesMax: number,
): Promise<EncodedSnapshotRecords> {
  const encoder = new PieceEncoder();
  const chunks: Buffer[] = [];
  let frame: Buffer[] = [];
  let frameBytes = 0;
  let frameRecords = 0;
  const flush = () => {
    if (frameRecords === 0) return;
    frame.push(Buffer.from(']'));
    chunks.push(...framePieces(FrameType.snapshotChunk, frame, frameBytes + 1));
    frame = [];
    frameBytes = 0;
    frameRecords = 0;
  };
  for (const [index, record] of records.entries()) {
    const representable =
      record !== undefined && typeof record !== 'function' && typeof record !== 'symbol';
    assert(representable, `snapshot record ${index} is not JSON-serializable`);
    const pieces = await encoder.encode(record);
    const bytes = pieces.reduce((total, piece) => total + piece.length, 0);
    // '[' + record + ']' must fit a frame on its own.
    assert(
      bytes + 2 <= payloadBytesMax,
      `snapshot record of ${bytes} bytes exceeds ${payloadBytesMax}`,
    );
    if (frameRecords === RECORDS_PER_CHUNK || frameBytes + 1 + bytes + 1 > payloadBytesMax) flush();
    frame.push(Buffer.from(frameRecords === 0 ? '[' : ','), ...pieces);
    frameBytes += 1 + bytes;
    frameRecords++;
  }
  flush();
  return { chunks, recordCount: records.length };
}

/** A frame whose payload is `pieces` (`payloadBytes` in all), as buffers for one gather-write. */
function framePieces(type: FrameType, pieces: readonly Buffer[], payloadBytes: number): Buffer[] {
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt32LE(payloadBytes, 0);
  header.writeUInt8(type, 8);
  // The frame checksum: length field, type byte, then the payload (see frame.ts).
  let crc = crc32c(header, 0, 0, 4);
  crc = crc32c(header, crc, 8, 9);
  for (const piece of pieces) crc = crc32c(piece, crc);
  header.writeUInt32LE(crc, 4);
  return [header, ...pieces];
}

/** JSON.stringify, piece by piece: large arrays in slices, with a yield every few megabytes. */
class PieceEncoder {
  private sinceYield = 0;

  async encode(value: unknown): Promise<Buffer[]> {
    const pieces: Buffer[] = [];
    await this.write(value, pieces);
    return pieces;
  }

  private async write(value: unknown, out: Buffer[]): Promise<void> {
    if (Array.isArray(value) && value.length > ELEMENTS_PER_PIECE) {
      for (let start = 0; start < value.length; start += ELEMENTS_PER_PIECE) {
        const slice = JSON.stringify(value.slice(start, start + ELEMENTS_PER_PIECE));
        // The slice's own brackets become the whole array's: '[' first, ',' between, ']' last.
        const inner = slice.slice(1, -1);
        const open = start === 0 ? '[' : ',';
        const close = start + ELEMENTS_PER_PIECE >= value.length ? ']' : '';
        await this.emit(open + inner + close, out);
      }
      return;
    }
    if (isPlainObject(value) && typeof value.toJSON !== 'function') {
      let first = true;
      out.push(Buffer.from('{'));
      for (const [key, field] of Object.entries(value)) {
        if (field === undefined || typeof field === 'function' || typeof field === 'symbol')
          continue;
        out.push(Buffer.from(`${first ? '' : ','}${JSON.stringify(key)}:`));
        first = false;
        await this.write(field, out);
      }
      out.push(Buffer.from('}'));
      return;
    }
    const text = JSON.stringify(value);
    assert(typeof text === 'string', 'snapshot value is not JSON-serializable');
    await this.emit(text, out);
  }

  private async emit(text: string, out: Buffer[]): Promise<void> {
    const piece = Buffer.from(text, 'utf8');
    out.push(piece);
    this.sinceYield += piece.length;
    if (this.sinceYield >= BYTES_PER_YIELD) {
      this.sinceYield = 0;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
