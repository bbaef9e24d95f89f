import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DurableStore } from './durable-store.js';
import { JsonJoiner } from '../core/json-pieces.js';
import { FrameType, parseJsonPayload, scanFrames } from './frame.js';
import { encodeSnapshotRecords } from './snapshot-file.js';
import type { StorageFs } from './storage-fs.js';
import { nodeStorageFs } from './storage-fs.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'synod-background-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function loadAll(dir: string, fs: StorageFs = nodeStorageFs): Promise<unknown[]> {
  const store = await DurableStore.open(dir, { fs });
  try {
    return (await store.load()).records;
  } finally {
    await store.close();
  }
}

function decode(chunks: readonly Buffer[]): unknown[] {
  const scan = scanFrames(Buffer.concat(chunks), 64 * 1024 * 1024);
  expect(scan.stop).toBeUndefined();
  const records: unknown[] = [];
  let joiner: JsonJoiner | undefined;
  for (const frame of scan.frames) {
    if (frame.type === FrameType.snapshotChunk) {
      records.push(...(parseJsonPayload(frame) as unknown[]));
      continue;
    }
    joiner ??= new JsonJoiner();
    joiner.push(parseJsonPayload(frame));
    if (joiner.done) {
      records.push(joiner.result());
      joiner = undefined;
    }
  }
  return records;
}

describe('encodeSnapshotRecords', () => {
  it('frames records that decode to their JSON, big arrays and odd values included', () => {
    const big = Array.from({ length: 5000 }, (_, index) => [`k${index}`, index, null, 'é\x00\xff']);
    const records = [
      { type: 'snapshot', snapshot: { index: 9, data: { records: big, members: [] } } },
      { type: 'hard-state', term: 2, vote: null, skipped: undefined },
      [1, undefined, () => 1, { nested: big.slice(0, 3) }],
      'text',
      42,
      null,
    ];
    for (const limit of [64 * 1024 * 1024, 400_000]) {
      const encoded = encodeSnapshotRecords(records, limit);
      expect(encoded.recordCount).toBe(records.length);
      // Under a small limit the records split into more frames; they decode the same.
      expect(decode(encoded.chunks)).toEqual(JSON.parse(JSON.stringify(records)));
    }
  });

  it('writes a record with a long array as pieces, no frame holding the whole of it', () => {
    const big = Array.from({ length: 100_000 }, (_, index) => [
      `key-${index}`,
      index,
      'v'.repeat(20),
    ]);
    const records = [
      { type: 'snapshot', snapshot: { index: 9, data: { records: big } } },
      { type: 'hard-state', term: 2 },
      { type: 'entries', entries: [] },
    ];
    const encoded = encodeSnapshotRecords(records, 64 * 1024 * 1024);
    const scan = scanFrames(Buffer.concat(encoded.chunks), 64 * 1024 * 1024);
    const pieces = scan.frames.filter((frame) => frame.type === FrameType.snapshotPiece);
    expect(pieces.length).toBeGreaterThan(90);
    const largest = Math.max(...scan.frames.map((frame) => frame.payload.length));
    expect(largest * 50).toBeLessThan(JSON.stringify(big).length);
    expect(decode(encoded.chunks)).toEqual(records);
  });

  it('refuses a record JSON cannot represent, or one above the limit', () => {
    expect(() => encodeSnapshotRecords([1, undefined], 1000)).toThrow(/not JSON-serializable/);
    expect(() => encodeSnapshotRecords(['x'.repeat(2000)], 1000)).toThrow(/exceeds 1000/);
  });
});

describe('a background replace', () => {
  it('resolves after the cut, writes the snapshot later, then compacts the log behind it', async () => {
    const dir = join(root, 'data');
    const store = await DurableStore.open(dir, { segmentBytesMax: 4096 });
    await store.load();
    for (let index = 0; index < 20; index++)
      await store.apply([{ kind: 'append', records: [{ index, pad: 'p'.repeat(300) }] }], true);
    await store.apply(
      [
        { kind: 'append', records: ['restated'] },
        { kind: 'replace', background: true, records: ['snap', 'restated'] },
        { kind: 'append', records: ['after'] },
      ],
      true,
    );
    await store.apply([{ kind: 'append', records: ['later'] }], true);
    await store.backgroundSnapshotsWritten();
    expect(await readdir(join(dir, 'snap'))).toHaveLength(1);
    await store.close();
    expect(await loadAll(dir)).toEqual(['snap', 'restated', 'after', 'later']);
  });

  it('a crash before the snapshot is renamed recovers every record from the segments', async () => {
    const dir = join(root, 'data');
    // A file system whose rename never happens: the crash point between write and rename.
    const crashing: StorageFs = {
      ...nodeStorageFs,
      rename: () => new Promise(() => undefined),
    };
    const store = await DurableStore.open(dir, { fs: crashing });
    await store.load();
    await store.apply([{ kind: 'append', records: ['a', 'b'] }], true);
    await store.apply(
      [
        { kind: 'replace', background: true, records: ['snap-of-a-b'] },
        { kind: 'append', records: ['c'] },
      ],
      true,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Not closed: the process "died". Take the lock over as a restarted process would.
    await rm(join(dir, 'LOCK'), { force: true });
    expect(await loadAll(dir)).toEqual(['a', 'b', 'c']);
  });
});
