import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SynodError } from '../core/errors.js';
import type { DurableStoreOptions } from './durable-store.js';
import { DurableStore } from './durable-store.js';
import { instrumentFs } from './instrumented-fs.js';
import { nodeStorageFs } from './storage-fs.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'synod-store-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function withStore<T>(
  dir: string,
  run: (store: DurableStore, records: unknown[]) => Promise<T>,
  options: DurableStoreOptions = {},
): Promise<T> {
  const store = await DurableStore.open(dir, options);
  try {
    const { records } = await store.load();
    return await run(store, records);
  } finally {
    await store.close();
  }
}

async function loadAll(dir: string, options: DurableStoreOptions = {}): Promise<unknown[]> {
  return withStore(dir, async (_store, records) => records, options);
}

describe('DurableStore', () => {
  it('gives back on restart every appended record, in order', async () => {
    const dir = join(root, 'data');
    await withStore(dir, async (store, records) => {
      expect(records).toEqual([]);
      await store.apply([{ kind: 'append', records: [{ term: 1 }, 'two', 3] }], true);
      await store.apply(
        [
          { kind: 'append', records: [null, [4, 5]] },
          { kind: 'append', records: [{ nested: { é: '✓' } }] },
        ],
        true,
      );
    });
    expect(await loadAll(dir)).toEqual([
      { term: 1 },
      'two',
      3,
      null,
      [4, 5],
      { nested: { é: '✓' } },
    ]);
  });

  it('loads snapshots and segments of hundreds of thousands of records', async () => {
    const dir = join(root, 'data');
    const many = Array.from({ length: 300_000 }, (_, index) => index);
    await withStore(dir, async (store) => {
      await store.apply([{ kind: 'replace', records: many }], true);
      await store.apply([{ kind: 'append', records: many }], true);
    });
    const records = await loadAll(dir);
    expect(records.length).toBe(600_000);
    expect(records[299_999]).toBe(299_999);
    expect(records[599_999]).toBe(299_999);
  });

  it('keeps appending to the recovered log across restarts', async () => {
    const dir = join(root, 'data');
    for (let run = 0; run < 3; run++) {
      await withStore(dir, (store) => store.apply([{ kind: 'append', records: [run] }], true));
    }
    expect(await loadAll(dir)).toEqual([0, 1, 2]);
    expect(await readdir(join(dir, 'wal'))).toEqual(['0000000000000001.wal']);
  });

  it('coalesces many concurrent appends into few fdatasyncs (group commit)', async () => {
    const dir = join(root, 'data');
    const { fs, counters } = instrumentFs(nodeStorageFs);
    const writers = 500;
    await withStore(
      dir,
      async (store) => {
        const syncsBefore = counters.calls.datasync;
        await Promise.all(
          Array.from({ length: writers }, (_, index) =>
            store.apply([{ kind: 'append', records: [{ index }] }], true),
          ),
        );
        const syncs = counters.calls.datasync - syncsBefore;
        // The first append starts a write alone; everything queued behind it shares the next one.
        expect(syncs).toBeGreaterThanOrEqual(1);
        expect(syncs).toBeLessThanOrEqual(writers / 10);
        expect(store.stats().syncs).toBe(syncs);
      },
      { fs },
    );
    const records = await loadAll(dir);
    expect(records).toEqual(Array.from({ length: writers }, (_, index) => ({ index })));
  });

  it('does not fsync appends made with sync: false', async () => {
    const { fs, counters } = instrumentFs(nodeStorageFs);
    await withStore(
      join(root, 'data'),
      async (store) => {
        const before = counters.calls.datasync;
        await store.apply([{ kind: 'append', records: ['unsynced'] }], false);
        expect(counters.calls.datasync).toBe(before);
      },
      { fs },
    );
  });

  it('starts a new segment when the current one would pass segmentBytesMax', async () => {
    const dir = join(root, 'data');
    const options = { segmentBytesMax: 4096 };
    const payload = 'x'.repeat(500);
    await withStore(
      dir,
      async (store) => {
        for (let index = 0; index < 40; index++) {
          await store.apply([{ kind: 'append', records: [{ index, payload }] }], true);
        }
      },
      options,
    );
    const segments = (await readdir(join(dir, 'wal'))).sort();
    expect(segments.length).toBeGreaterThanOrEqual(5);
    for (const name of segments) {
      expect((await stat(join(dir, 'wal', name))).size).toBeLessThanOrEqual(4096);
    }
    const records = await loadAll(dir, options);
    expect(records).toEqual(Array.from({ length: 40 }, (_, index) => ({ index, payload })));
  });

  it('replace swaps the whole state for a snapshot and compacts the log behind it', async () => {
    const dir = join(root, 'data');
    const options = { segmentBytesMax: 4096 };
    await withStore(
      dir,
      async (store) => {
        for (let index = 0; index < 30; index++) {
          await store.apply([{ kind: 'append', records: [{ index, pad: 'p'.repeat(300) }] }], true);
        }
        await store.apply(
          [
            { kind: 'replace', records: ['snapshot-a', 'snapshot-b'] },
            { kind: 'append', records: ['after'] },
          ],
          true,
        );
      },
      options,
    );
    expect(await readdir(join(dir, 'snap'))).toHaveLength(1);
    expect(await readdir(join(dir, 'wal'))).toHaveLength(1);
    expect(await loadAll(dir, options)).toEqual(['snapshot-a', 'snapshot-b', 'after']);
    await withStore(dir, (store) => store.apply([{ kind: 'replace', records: [] }], true), options);
    expect(await loadAll(dir, options)).toEqual([]);
  });

  it('splits snapshot chunks to fit recordBytesMax, and refuses a record above it', async () => {
    const dir = join(root, 'data');
    const options = { recordBytesMax: 4096 };
    const records = Array.from({ length: 50 }, (_, index) => ({ index, pad: 'q'.repeat(1000) }));
    await withStore(
      dir,
      async (store) => {
        await store.apply([{ kind: 'replace', records }], true);
        expect(() =>
          store.apply([{ kind: 'replace', records: [{ pad: 'q'.repeat(5000) }] }], true),
        ).toThrow(/exceeds 4096/);
        expect(() => store.apply([{ kind: 'replace', records: [1, undefined] }], true)).toThrow(
          /not JSON-serializable/,
        );
      },
      options,
    );
    expect(await loadAll(dir, options)).toEqual(records);
  });

  it('keeps the call order of ops across concurrent apply calls around a replace', async () => {
    const dir = join(root, 'data');
    await withStore(dir, async (store) => {
      await Promise.all([
        store.apply([{ kind: 'append', records: [1, 2] }], true),
        store.apply([{ kind: 'replace', records: ['s'] }], true),
        store.apply([{ kind: 'append', records: [3] }], true),
        store.apply([{ kind: 'append', records: [4] }], true),
      ]);
    });
    expect(await loadAll(dir)).toEqual(['s', 3, 4]);
  });

  it('refuses a second opener of the same data directory, naming the owner', async () => {
    const dir = join(root, 'data');
    const first = await DurableStore.open(dir);
    const error = await DurableStore.open(dir).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SynodError);
    expect((error as SynodError).code).toBe('DATA_DIR_LOCKED');
    expect((error as SynodError).message).toContain(`process ${process.pid}`);
    await first.close();
    const again = await DurableStore.open(dir);
    await again.close();
  });

  it('takes over the lock of a process that is gone', async () => {
    const dir = join(root, 'data');
    await withStore(dir, async () => {});
    // A pid far above pid_max on Linux (4194304) is never running.
    await writeFile(join(dir, 'LOCK'), '99999999\nelsewhere\n');
    expect(await loadAll(dir)).toEqual([]);
  });

  it('past queuedBytesMax, refuses that append and every later one, leaving no hole', async () => {
    const dir = join(root, 'data');
    const options = { queuedBytesMax: 64 * 1024, recordBytesMax: 16 * 1024 };
    await withStore(
      dir,
      async (store) => {
        const record = (index: number) => ({ index, pad: 'r'.repeat(8 * 1024) });
        const results = await Promise.allSettled(
          Array.from({ length: 64 }, (_, index) =>
            store.apply([{ kind: 'append', records: [record(index)] }], true),
          ),
        );
        const firstRefused = results.findIndex((result) => result.status === 'rejected');
        expect(firstRefused).toBeGreaterThan(0);
        expect(results.slice(0, firstRefused).every((r) => r.status === 'fulfilled')).toBe(true);
        for (const result of results.slice(firstRefused)) {
          expect(result).toMatchObject({
            status: 'rejected',
            reason: { code: 'STORAGE_OVERLOADED' },
          });
        }
        expect(store.backlogBytes()).toBe(0);
        await expect(
          store.apply([{ kind: 'append', records: ['later'] }], true),
        ).rejects.toMatchObject({ code: 'STORAGE_OVERLOADED' });
      },
      options,
    );
    const indexes = (await loadAll(dir, options)).map(
      (record) => (record as { index: number }).index,
    );
    expect(indexes).toEqual(Array.from({ length: indexes.length }, (_, index) => index));
  });

  it('fails for good after an fdatasync error, rejecting later appends too', async () => {
    let failSyncs = false;
    const { fs } = instrumentFs(nodeStorageFs, (operation) => {
      if (failSyncs && operation === 'datasync') throw new Error('EIO: simulated disk error');
    });
    await withStore(
      join(root, 'data'),
      async (store) => {
        failSyncs = true;
        const first = store.apply([{ kind: 'append', records: [1] }], true);
        await expect(first).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
        const later = store.apply([{ kind: 'append', records: [2] }], true);
        await expect(later).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
      },
      { fs },
    );
  });

  it('applies all ops of a call or none: a record JSON cannot represent throws first', async () => {
    const dir = join(root, 'data');
    await withStore(dir, async (store) => {
      expect(() =>
        store.apply(
          [
            { kind: 'append', records: ['before'] },
            { kind: 'replace', records: ['snapshot'] },
            { kind: 'append', records: [undefined] },
          ],
          true,
        ),
      ).toThrow(/not JSON-serializable/);
      await store.apply([{ kind: 'append', records: ['ok'] }], true);
    });
    expect(await loadAll(dir)).toEqual(['ok']);
    expect(await readdir(join(dir, 'snap'))).toEqual([]);
    const segment = await readFile(join(dir, 'wal', '0000000000000001.wal'));
    expect(segment.includes('before')).toBe(false);
  });

  it('refuses apply after close, and close waits for queued appends', async () => {
    const dir = join(root, 'data');
    const store = await DurableStore.open(dir);
    await store.load();
    const pending = store.apply([{ kind: 'append', records: ['queued'] }], true);
    const closing = store.close();
    await pending;
    await closing;
    await expect(store.apply([{ kind: 'append', records: ['late'] }], true)).rejects.toMatchObject({
      code: 'STORAGE_CLOSED',
    });
    expect(await loadAll(dir)).toEqual(['queued']);
  });
});
