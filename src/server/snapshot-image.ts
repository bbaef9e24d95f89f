import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { SynodError } from '../core/errors.js';
import {
  encodeJsonFrames,
  encodeTextFrame,
  FRAME_HEADER_BYTES,
  FrameType,
  parseJsonPayload,
  scanFrames,
} from '../storage/frame.js';
import type { MvccSnapshot, MvccSnapshotReader, SnapshotRecord } from '../storage/mvcc/index.js';
import type { AuthSnapshot } from './auth/auth-store.js';
import { authSnapshotProblem } from './auth/auth-store.js';
import type { MemberRecord } from './membership.js';

/**
 * Synod's backup image, what `etcdctl snapshot save` receives from Maintenance.Snapshot (see
 * docs/server.md, "Snapshot images"):
 *
 *   header frame   JSON ImageHeader: revision, compacted revision, leases, members, auth state,
 *                  applied index
 *   chunk frames   JSON arrays of MVCC snapshot records, in key then revision order
 *   end frame      JSON ImageEnd: record and key counts
 *   zero padding   to a multiple of 512 bytes
 *   32 bytes       SHA-256 of everything before it (added by the stream, as etcd does)
 *
 * Frames are the WAL's (length, CRC-32C, type, payload). The padding gives the file etcd's shape
 * (size mod 512 = 32 when a hash trails it), so tools that check the shape see a hashed snapshot.
 */
export interface ImageHeader {
  readonly format: 'synod-backup';
  readonly version: 1;
  readonly revision: number;
  readonly compactedRevision: number;
  readonly leases: readonly (readonly [number, number])[];
  /** The members as the source cluster's replicated state had them; a restore does not keep them. */
  readonly members: readonly MemberRecord[];
  /**
   * Users, roles and the enabled flag, which a restore keeps (etcd's backup holds its auth
   * buckets too). Absent in images from before auth existed: a restore starts with auth off.
   */
  readonly auth?: AuthSnapshot;
  /** The log index applied when the image was taken, on the member that served it. */
  readonly appliedIndex: number;
}

interface ImageEnd {
  readonly recordCount: number;
  readonly keyCount: number;
}

export const IMAGE_ALIGN_BYTES = 512;
export const IMAGE_HASH_BYTES = 32;
/** Keys per chunk frame: a few milliseconds of JSON work between two yields to the event loop. */
const KEYS_PER_CHUNK = 2048;
/** A chunk's JSON ends after about this many characters, even before KEYS_PER_CHUNK keys. */
const CHUNK_TEXT_TARGET = 16 * 1024 * 1024;
/** A frame holds one chunk; only one key's history alone can come near it. */
const IMAGE_FRAME_BYTES_MAX = 512 * 1024 * 1024;
/** bbolt's meta page magic (little-endian u32 after the 16-byte page header): etcd's db files. */
const BBOLT_MAGIC = 0xed0cdaed;

export interface ImageSource {
  readonly reader: MvccSnapshotReader;
  readonly members: readonly MemberRecord[];
  readonly auth: AuthSnapshot;
  readonly appliedIndex: number;
}

/**
 * Writes the image (without the hash) to `file` from offset 0, a chunk at a time, yielding to the
 * event loop between chunks so the member keeps serving; returns its size. Closes the reader.
 */
export async function writeImage(file: FileHandle, source: ImageSource): Promise<number> {
  const { reader } = source;
  let offset = 0;
  const write = async (buffer: Buffer) => {
    let done = 0;
    while (done < buffer.length) {
      const { bytesWritten } = await file.write(buffer, done, buffer.length - done, offset + done);
      done += bytesWritten;
    }
    offset += buffer.length;
  };
  try {
    const header: ImageHeader = {
      format: 'synod-backup',
      version: 1,
      revision: reader.revision,
      compactedRevision: reader.compactedRevision,
      leases: reader.leases,
      members: source.members,
      auth: source.auth,
      appliedIndex: source.appliedIndex,
    };
    await write(encodeJsonFrames(FrameType.snapshotHeader, [header], IMAGE_FRAME_BYTES_MAX));
    let recordCount = 0;
    let keyCount = 0;
    const writeChunk = async (texts: readonly string[]) => {
      const text = `[${texts.join(',')}]`;
      await write(encodeTextFrame(FrameType.snapshotChunk, text, Buffer.byteLength(text, 'utf8')));
    };
    for (;;) {
      const records = reader.next(KEYS_PER_CHUNK);
      if (records.length === 0) break;
      recordCount += records.length;
      keyCount += countKeys(records);
      // A chunk also ends at CHUNK_TEXT_TARGET: 2,048 histories of large values would make one
      // string over V8's limit, and one frame over IMAGE_FRAME_BYTES_MAX.
      let texts: string[] = [];
      let length = 0;
      for (const record of records) {
        const text = JSON.stringify(record);
        if (texts.length > 0 && length + text.length > CHUNK_TEXT_TARGET) {
          await writeChunk(texts);
          texts = [];
          length = 0;
        }
        texts.push(text);
        length += text.length + 1;
      }
      await writeChunk(texts);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const end: ImageEnd = { recordCount, keyCount };
    await write(encodeJsonFrames(FrameType.snapshotEnd, [end], IMAGE_FRAME_BYTES_MAX));
    const padding = (IMAGE_ALIGN_BYTES - (offset % IMAGE_ALIGN_BYTES)) % IMAGE_ALIGN_BYTES;
    if (padding > 0) await write(Buffer.alloc(padding));
    return offset;
  } finally {
    reader.close();
  }
}

function countKeys(records: readonly SnapshotRecord[]): number {
  let keys = 0;
  for (let index = 0; index < records.length; index++)
    if (index === 0 || records[index]?.[0] !== records[index - 1]?.[0]) keys++;
  return keys;
}

export interface ImageContents {
  readonly header: ImageHeader;
  readonly snapshot: MvccSnapshot;
  readonly keyCount: number;
  /** Hex SHA-256 of the image, as its trailer holds it. */
  readonly sha256: string;
  readonly totalBytes: number;
}

function imageError(path: string, detail: string): SynodError {
  return new SynodError('SNAPSHOT_IMAGE_INVALID', `${path}: ${detail}`);
}

/**
 * Reads and verifies a saved image: the shape, the SHA-256 trailer, every frame's checksum, the
 * header and the counts. An etcd (bbolt) snapshot gets an error saying so.
 */
export function readImage(path: string, file: Buffer): ImageContents {
  if (file.length >= 20 && file.readUInt32LE(16) === BBOLT_MAGIC)
    throw imageError(
      path,
      "this is an etcd snapshot (a bbolt database), not a Synod image; restore it with etcd's " +
        '`etcdctl snapshot restore`. `synod snapshot` reads the images `etcdctl snapshot save` ' +
        'writes from a Synod cluster',
    );
  if (
    file.length < IMAGE_HASH_BYTES + IMAGE_ALIGN_BYTES ||
    file.length % IMAGE_ALIGN_BYTES !== IMAGE_HASH_BYTES
  )
    throw imageError(
      path,
      `not a complete Synod image: ${file.length} bytes, but an image is a multiple of ` +
        `${IMAGE_ALIGN_BYTES} bytes plus a ${IMAGE_HASH_BYTES}-byte SHA-256 (truncated, or not a snapshot)`,
    );
  const body = file.subarray(0, file.length - IMAGE_HASH_BYTES);
  const stored = file.subarray(file.length - IMAGE_HASH_BYTES).toString('hex');
  const computed = createHash('sha256').update(body).digest('hex');
  if (stored !== computed)
    throw imageError(
      path,
      `SHA-256 mismatch (stored ${stored}, computed ${computed}): the file is corrupt`,
    );
  const scan = scanFrames(body, IMAGE_FRAME_BYTES_MAX);
  const [first, ...rest] = scan.frames;
  const last = rest.pop();
  if (first?.type !== FrameType.snapshotHeader || last?.type !== FrameType.snapshotEnd)
    throw imageError(path, 'not a Synod image (no header and end frames)');
  const afterEnd = last.offset + last.payload.length + FRAME_HEADER_BYTES;
  if (body.length - afterEnd >= IMAGE_ALIGN_BYTES || !body.subarray(afterEnd).every((b) => b === 0))
    throw imageError(path, `unexpected bytes after the end frame at offset ${afterEnd}`);
  const header = parseJsonPayload(first) as ImageHeader;
  if (header?.format !== 'synod-backup' || header.version !== 1)
    throw imageError(path, `unknown image format ${JSON.stringify(header).slice(0, 200)}`);
  const authProblem = header.auth === undefined ? undefined : authSnapshotProblem(header.auth);
  if (authProblem !== undefined) throw imageError(path, `${authProblem} (in the header frame)`);
  const records: SnapshotRecord[] = [];
  for (const frame of rest) {
    const chunk = frame.type === FrameType.snapshotChunk ? parseJsonPayload(frame) : undefined;
    if (!Array.isArray(chunk))
      throw imageError(path, `not a record chunk at offset ${frame.offset}`);
    for (const record of chunk as SnapshotRecord[]) records.push(record);
  }
  const end = parseJsonPayload(last) as ImageEnd;
  if (end.recordCount !== records.length || end.keyCount !== countKeys(records))
    throw imageError(
      path,
      `holds ${records.length} records of ${countKeys(records)} keys, its end frame says ` +
        `${end.recordCount} of ${end.keyCount}`,
    );
  return {
    header,
    snapshot: {
      format: 'synod-mvcc',
      version: 1,
      revision: header.revision,
      compactedRevision: header.compactedRevision,
      leases: header.leases,
      records,
    },
    keyCount: end.keyCount,
    sha256: stored,
    totalBytes: file.length,
  };
}
