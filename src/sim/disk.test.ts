import { describe, expect, it } from 'vitest';
import { createRng } from '../core/rng.js';
import { SimDisk } from './disk.js';

describe('SimDisk', () => {
  it('keeps synced writes across a crash', () => {
    const disk = new SimDisk();
    disk.write([{ kind: 'append', records: [1, 2] }]);
    disk.sync(disk.writtenOpCount);
    expect(disk.crash(createRng(1))).toBe(0);
    expect(disk.records()).toEqual([1, 2]);
  });

  it('a sync covers only the writes made before it started', () => {
    const disk = new SimDisk();
    disk.write([{ kind: 'append', records: [1] }]);
    const upTo = disk.writtenOpCount;
    disk.write([{ kind: 'append', records: [2] }]);
    disk.sync(upTo);
    expect(disk.records()).toEqual([1]);
    expect(disk.unsyncedOpCount).toBe(1);
  });

  it('a crash keeps a prefix of the unsynced writes, sometimes none, sometimes all, sometimes torn', () => {
    const outcomes = new Set<string>();
    for (let seed = 0; seed < 200; seed++) {
      const disk = new SimDisk();
      disk.write([{ kind: 'append', records: [1] }]);
      disk.sync(disk.writtenOpCount);
      disk.write([
        { kind: 'append', records: [2, 3] },
        { kind: 'append', records: [4] },
      ]);
      disk.crash(createRng(seed));
      const records = disk.records() as number[];
      // Always the synced record first, then a prefix of 2, 3, 4: never a hole.
      expect(records).toEqual([1, 2, 3, 4].slice(0, records.length));
      outcomes.add(records.join(','));
    }
    expect(outcomes).toEqual(new Set(['1', '1,2', '1,2,3', '1,2,3,4']));
  });

  it('a replace is atomic: all of it or none of it', () => {
    for (let seed = 0; seed < 50; seed++) {
      const disk = new SimDisk();
      disk.write([{ kind: 'append', records: [1, 2, 3] }]);
      disk.sync(disk.writtenOpCount);
      disk.write([{ kind: 'replace', records: [7, 8] }]);
      disk.crash(createRng(seed));
      expect([
        [1, 2, 3],
        [7, 8],
      ]).toContainEqual(disk.records());
    }
  });
});
