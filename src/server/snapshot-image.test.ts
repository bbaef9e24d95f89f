import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FrameType, scanFrames } from '../storage/frame.js';
import { MvccStore } from '../storage/mvcc/index.js';
import { AuthStore } from './auth/auth-store.js';
import { readImage, writeImage } from './snapshot-image.js';

describe('the snapshot image (etcdctl snapshot save)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'synod-image-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('cuts chunks by size as well as by key count, so large values never make one huge frame', async () => {
    const store = new MvccStore();
    const big = 'v'.repeat(1024 * 1024);
    for (let index = 0; index < 40; index++)
      expect(store.apply({ type: 'put', request: { key: `k${index}`, value: big } }).ok).toBe(true);
    const path = join(dir, 'image');
    const file = await open(path, 'w+');
    const size = await writeImage(file, {
      reader: store.openSnapshot(),
      members: [],
      auth: new AuthStore().snapshot(),
      appliedIndex: 40,
    });
    await file.close();
    const body = readFileSync(path).subarray(0, size);
    const chunks = scanFrames(body, 512 * 1024 * 1024).frames.filter(
      (frame) => frame.type === FrameType.snapshotChunk,
    );
    expect(chunks.length).toBeGreaterThan(1); // 40 MiB of values, not one 40 MiB frame
    for (const chunk of chunks) expect(chunk.payload.length).toBeLessThan(20 * 1024 * 1024);
    const image = Buffer.concat([body, createHash('sha256').update(body).digest()]);
    const contents = readImage(path, image);
    expect(contents.keyCount).toBe(40);
    const restored = new MvccStore();
    restored.restore(contents.snapshot);
    expect(restored.range({ key: 'k39' })).toMatchObject({ ok: true });
    const range = restored.range({ key: 'k39' });
    expect(range.ok && range.response.kvs[0]?.value).toBe(big);
  });
});
