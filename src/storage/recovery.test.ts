import {
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SynodError } from '../core/errors.js';
import type { DurableStoreOptions, LoadResult } from './durable-store.js';
import { DurableStore } from './durable-store.js';
import type { Frame } from './frame.js';
import {
  encodeTextFrame,
  FRAME_HEADER_BYTES,
  FrameType,
  parseJsonPayload,
  scanFrames,
} from './frame.js';
import { instrumentFs } from './instrumented-fs.js';
import { nodeStorageFs } from './storage-fs.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'synod-recovery-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const FIRST_SEGMENT = join('wal', '0000000000000001.wal');

async function writeRecords(
  dir: string,
  records: readonly unknown[],
  options: DurableStoreOptions = {},
): Promise<void> {
  const store = await DurableStore.open(dir, options);
  await store.load();
  for (const record of records) await store.apply([{ kind: 'append', records: [record] }], true);
  await store.close();
}

async function load(dir: string, options: DurableStoreOptions = {}): Promise<LoadResult<unknown>> {
  const store = await DurableStore.open(dir, options);
  try {
    return await store.load();
  } finally {
    await store.close();
  }
}

async function loadError(dir: string, options: DurableStoreOptions = {}): Promise<SynodError> {
  return load(dir, options).then(
    () => {
      throw new Error('expected recovery to refuse the data directory');
    },
    (error: unknown) => error as SynodError,
  );
}

async function copyDataDir(from: string, to: string): Promise<void> {
  for (const sub of ['wal', 'snap']) {
    await mkdir(join(to, sub), { recursive: true });
    for (const name of await readdir(join(from, sub))) {
      await copyFile(join(from, sub, name), join(to, sub, name));
    }
  }
}

async function flipBit(path: string, offset: number): Promise<void> {
  const bytes = await readFile(path);
  bytes[offset] = (bytes[offset] as number) ^ 0x10;
  await writeFile(path, bytes);
}

const records = Array.from({ length: 5 }, (_, index) => ({ index, text: `record ${index}` }));

describe('recovery of a torn tail', () => {
  it('truncates the last record cut at every byte offset and keeps every earlier one', async () => {
    const pristine = join(root, 'pristine');
    await writeRecords(pristine, records);
    const segmentBytes = (await stat(join(pristine, FIRST_SEGMENT))).size;
    const lastFrameBytes = FRAME_HEADER_BYTES + JSON.stringify(records.at(-1)).length;
    const lastFrameStart = segmentBytes - lastFrameBytes;
    for (let cut = lastFrameStart; cut < segmentBytes; cut++) {
      const dir = join(root, `cut-${cut}`);
      await copyDataDir(pristine, dir);
      await truncate(join(dir, FIRST_SEGMENT), cut);
      const { records: recovered, report } = await load(dir);
      expect(recovered).toEqual(records.slice(0, -1));
      expect(report.truncatedTail === null).toBe(cut === lastFrameStart);
      if (cut > lastFrameStart) {
        expect(report.truncatedTail).toMatchObject({ offset: lastFrameStart });
        expect(report.truncatedTail?.bytesDiscarded).toBe(cut - lastFrameStart);
      }
      expect((await stat(join(dir, FIRST_SEGMENT))).size).toBe(lastFrameStart);
      // The repaired log takes new appends after the surviving records.
      await writeRecords(dir, ['next']);
      expect((await load(dir)).records).toEqual([...records.slice(0, -1), 'next']);
    }
  });

  it('truncates a last record whose checksum fails when nothing follows it', async () => {
    const dir = join(root, 'data');
    await writeRecords(dir, records);
    const path = join(dir, FIRST_SEGMENT);
    await flipBit(path, (await stat(path)).size - 2);
    const { records: recovered, report } = await load(dir);
    expect(recovered).toEqual(records.slice(0, -1));
    expect(report.truncatedTail?.reason).toMatch(/checksum mismatch/);
  });

  it('truncates a zero-filled tail (blocks allocated but never written)', async () => {
    const dir = join(root, 'data');
    await writeRecords(dir, records);
    const path = join(dir, FIRST_SEGMENT);
    await writeFile(path, Buffer.concat([await readFile(path), Buffer.alloc(4096)]));
    const { records: recovered, report } = await load(dir);
    expect(recovered).toEqual(records);
    expect(report.truncatedTail?.bytesDiscarded).toBe(4096);
  });

  it('truncates a batch torn out of order: a damaged frame followed only by a cut one', async () => {
    const dir = join(root, 'data');
    const store = await DurableStore.open(dir);
    await store.load();
    await store.apply([{ kind: 'append', records: records.slice(0, 3) }], true);
    await store.apply([{ kind: 'append', records: records.slice(3) }], true); // one write
    await store.close();
    const path = join(dir, FIRST_SEGMENT);
    const bytes = await readFile(path);
    const batchStart = bytes.indexOf('record 3') - FRAME_HEADER_BYTES - 19;
    // The disk kept the end of the write but not a block in its middle, then the file was cut.
    bytes.fill(0, batchStart + FRAME_HEADER_BYTES + 2, batchStart + FRAME_HEADER_BYTES + 12);
    await writeFile(path, bytes.subarray(0, bytes.length - 4));
    const { records: recovered, report } = await load(dir);
    expect(recovered).toEqual(records.slice(0, 3));
    expect(report.truncatedTail?.offset).toBe(batchStart);
  });

  it('repairs a last segment whose header was torn', async () => {
    const dir = join(root, 'data');
    await writeRecords(dir, records);
    await truncate(join(dir, FIRST_SEGMENT), 3);
    expect((await load(dir)).records).toEqual([]);
    await writeRecords(dir, ['fresh']);
    expect((await load(dir)).records).toEqual(['fresh']);
  });
});

describe('recovery refuses corruption before the tail', () => {
  it('refuses a flipped bit in a middle record, naming the file and the offset', async () => {
    const dir = join(root, 'data');
    await writeRecords(dir, records);
    const path = join(dir, FIRST_SEGMENT);
    const bytes = await readFile(path);
    const offset = bytes.indexOf('record 2') - FRAME_HEADER_BYTES - '{"index":2,"text":"'.length;
    await flipBit(path, offset + FRAME_HEADER_BYTES + 3);
    const error = await loadError(dir);
    expect(error.code).toBe('WAL_CORRUPT');
    expect(error.message).toContain(path);
    expect(error.message).toContain(`byte offset ${offset}`);
    expect(error.message).toMatch(/checksum mismatch.*; a valid frame follows at offset \d+/);
    expect(error.message).toMatch(/move the data directory aside/);
    // Refusing must not have modified the file.
    expect((await readFile(path)).length).toBe(bytes.length);
  });

  it('refuses a corrupted length field in a middle record', async () => {
    const dir = join(root, 'data');
    await writeRecords(dir, records);
    const path = join(dir, FIRST_SEGMENT);
    const frameStart = (await readFile(path)).indexOf('record 1') - FRAME_HEADER_BYTES - 19;
    // Low byte: the frame still ends inside the file; next byte: it runs past the end, which
    // alone would look like a torn write, but valid frames follow it.
    for (const lengthByte of [0, 1]) {
      await flipBit(path, frameStart + lengthByte);
      const error = await loadError(dir);
      expect(error.code).toBe('WAL_CORRUPT');
      expect(error.message).toContain(`byte offset ${frameStart}`);
      await flipBit(path, frameStart + lengthByte);
    }
    expect((await load(dir)).records).toEqual(records);
  });

  it('refuses damage at the end of a segment that is not the last', async () => {
    const dir = join(root, 'data');
    const options = { segmentBytesMax: 4096 };
    await writeRecords(
      dir,
      Array.from({ length: 30 }, (_, index) => ({ index, pad: 'p'.repeat(300) })),
      options,
    );
    const path = join(dir, FIRST_SEGMENT);
    await truncate(path, (await stat(path)).size - 1);
    const error = await loadError(dir, options);
    expect(error.code).toBe('WAL_CORRUPT');
    expect(error.message).toContain(path);
  });

  it('refuses a log with a missing segment', async () => {
    const dir = join(root, 'data');
    const options = { segmentBytesMax: 4096 };
    await writeRecords(
      dir,
      Array.from({ length: 30 }, (_, index) => ({ index, pad: 'p'.repeat(300) })),
      options,
    );
    await rm(join(dir, 'wal', '0000000000000002.wal'));
    const error = await loadError(dir, options);
    expect(error.code).toBe('WAL_MISSING_SEGMENT');
    expect(error.message).toContain('0000000000000002.wal');
  });

  it('refuses a damaged snapshot', async () => {
    const dir = join(root, 'data');
    const store = await DurableStore.open(dir);
    await store.load();
    await store.apply([{ kind: 'replace', records: ['a', 'b', 'c'] }], true);
    await store.close();
    const [name] = await readdir(join(dir, 'snap'));
    await flipBit(join(dir, 'snap', name as string), 30);
    const error = await loadError(dir);
    expect(error.code).toBe('SNAPSHOT_CORRUPT');
    expect(error.message).toContain(name);
  });
});

describe('snapshots with records in pieces', () => {
  const longRecord = {
    type: 'snapshot',
    data: { records: Array.from({ length: 5000 }, (_, index) => [`k${index}`, index]) },
  };

  async function replaceWith(dir: string, records: readonly unknown[]): Promise<string> {
    const store = await DurableStore.open(dir);
    await store.load();
    await store.apply([{ kind: 'replace', records }], true);
    await store.close();
    const [name] = await readdir(join(dir, 'snap'));
    return join(dir, 'snap', name as string);
  }

  /** Rewrites a snapshot file from frames, keeping its header and end. */
  async function rewrite(path: string, edit: (frames: Frame[]) => Frame[]): Promise<void> {
    const scan = scanFrames(await readFile(path), 1 << 30);
    const frames = edit(scan.frames);
    const bytes = frames.map((frame) =>
      encodeTextFrame(frame.type, frame.payload.toString('utf8'), frame.payload.length),
    );
    await writeFile(path, Buffer.concat(bytes));
  }

  it('loads a record with a long array back whole, between small records', async () => {
    const dir = join(root, 'data');
    const records = ['before', longRecord, { type: 'hard-state', term: 3 }, 'after'];
    const path = await replaceWith(dir, records);
    const { frames } = scanFrames(await readFile(path), 1 << 30);
    expect(frames.filter((frame) => frame.type === FrameType.snapshotPiece).length).toBe(6);
    expect((await load(dir)).records).toEqual(records);
  });

  it('still loads a version 1 snapshot (chunk frames only)', async () => {
    const dir = join(root, 'data');
    const records = ['a', longRecord, 'c'];
    const path = await replaceWith(dir, records);
    await rewrite(path, (frames) => {
      const header = { ...(parseJsonPayload(frames[0] as Frame) as object), version: 1 };
      const chunk = Buffer.from(JSON.stringify(records));
      return [
        { ...(frames[0] as Frame), payload: Buffer.from(JSON.stringify(header)) },
        { type: FrameType.snapshotChunk, offset: 0, payload: chunk },
        frames.at(-1) as Frame,
      ];
    });
    expect((await load(dir)).records).toEqual(records);
  });

  it('refuses a snapshot that ends inside a record in pieces, or mixes a chunk into one', async () => {
    const dir = join(root, 'data');
    const path = await replaceWith(dir, ['a', longRecord]);
    const original = await readFile(path);
    // The last piece gone: the end frame comes while the record is incomplete.
    await rewrite(path, (frames) => [...frames.slice(0, -2), frames.at(-1) as Frame]);
    let error = await loadError(dir);
    expect(error.code).toBe('SNAPSHOT_CORRUPT');
    expect(error.message).toMatch(/ends inside a record in pieces/);
    await writeFile(path, original);
    await rewrite(path, (frames) => {
      const chunk = frames[1] as Frame;
      return [frames[0] as Frame, ...frames.slice(2, 4), chunk, ...frames.slice(4)];
    });
    error = await loadError(dir);
    expect(error.message).toMatch(/not a record chunk/);
  });
});

describe('a crash during replace leaves the old state or the new one', () => {
  class Crash extends Error {}

  /** Runs a replace with the file system "crashing" at the first operation `crashAt` accepts. */
  async function replaceWithCrash(
    dir: string,
    crashAt: (operation: string, path: string) => boolean,
  ): Promise<void> {
    let armed = false;
    const { fs } = instrumentFs(nodeStorageFs, (operation, path) => {
      if (armed && crashAt(operation, path)) throw new Crash(`crash before ${operation} ${path}`);
    });
    const store = await DurableStore.open(dir, { fs });
    await store.load();
    armed = true;
    await expect(
      store.apply([{ kind: 'replace', records: ['new-1', 'new-2'] }], true),
    ).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
    await store.close();
  }

  const old = ['old-1', 'old-2', 'old-3'];
  const cases: {
    readonly step: string;
    readonly crashAt: (operation: string, path: string) => boolean;
    readonly survivor: unknown[];
  }[] = [
    {
      step: 'before the temporary snapshot is fsynced',
      crashAt: (operation, path) => operation === 'sync' && path.endsWith('.tmp'),
      survivor: old,
    },
    {
      step: 'after the temporary file, before the rename',
      crashAt: (operation) => operation === 'rename',
      survivor: old,
    },
    {
      step: 'after the rename, before the directory fsync',
      crashAt: (operation, path) => operation === 'syncDirectory' && path.endsWith('snap'),
      survivor: ['new-1', 'new-2'],
    },
    {
      step: 'after the rename, before the next segment exists',
      crashAt: (operation, path) => operation === 'open' && path.endsWith('.wal'),
      survivor: ['new-1', 'new-2'],
    },
    {
      step: 'after the next segment, before old segments are deleted',
      crashAt: (operation, path) => operation === 'unlink' && path.endsWith('.wal'),
      survivor: ['new-1', 'new-2'],
    },
  ];

  for (const { step, crashAt, survivor } of cases) {
    it(`crash ${step}`, async () => {
      const dir = join(root, 'data');
      await writeRecords(dir, old);
      await replaceWithCrash(dir, crashAt);
      const { records: recovered } = await load(dir);
      expect(recovered).toEqual(survivor);
      // And the directory is clean and usable afterwards.
      await writeRecords(dir, ['later']);
      expect((await load(dir)).records).toEqual([...survivor, 'later']);
      expect((await readdir(join(dir, 'snap'))).filter((name) => name.endsWith('.tmp'))).toEqual(
        [],
      );
      expect((await readdir(join(dir, 'snap'))).length).toBeLessThanOrEqual(1);
    });
  }

  it('ignores files it did not write and reports them', async () => {
    const dir = join(root, 'data');
    await writeRecords(dir, ['a']);
    await writeFile(join(dir, 'wal', 'notes.txt'), 'operator notes');
    const { records: recovered, report } = await load(dir);
    expect(recovered).toEqual(['a']);
    expect(report.ignoredFiles).toEqual([join(dir, 'wal', 'notes.txt')]);
  });
});
