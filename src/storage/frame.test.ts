import { describe, expect, it } from 'vitest';
import { crc32c } from './crc32c.js';
import {
  encodeJsonFrames,
  findValidFrame,
  FrameType,
  parseJsonPayload,
  scanFrames,
} from './frame.js';

describe('crc32c', () => {
  it('matches the CRC-32C check value and known vectors', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it('gives the same value computed in pieces as in one pass', () => {
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, index) => (index * 31) & 0xff));
    for (const split of [0, 1, 7, 8, 9, 500, 999, 1000]) {
      expect(crc32c(bytes, crc32c(bytes, 0, 0, split), split)).toBe(crc32c(bytes));
    }
  });
});

describe('frames', () => {
  it('round-trips JSON values and stops cleanly at the end', () => {
    const values = [{ a: 1 }, 'two', [3], null, 'ünïcödé'];
    const buffer = encodeJsonFrames(FrameType.record, values, 1024);
    const scan = scanFrames(buffer, 1024);
    expect(scan.stop).toBeUndefined();
    expect(scan.validBytes).toBe(buffer.length);
    expect(scan.frames.map(parseJsonPayload)).toEqual(values);
  });

  it('reports an incomplete frame at a cut and a damaged one after a flipped bit', () => {
    const buffer = encodeJsonFrames(FrameType.record, ['first', 'second'], 1024);
    const secondStart = scanFrames(buffer, 1024).frames[1]?.offset as number;
    const cut = scanFrames(buffer.subarray(0, buffer.length - 1), 1024);
    expect(cut.stop).toMatchObject({ kind: 'incomplete', offset: secondStart });
    const flipped = Buffer.from(buffer);
    flipped[secondStart + 10] = (flipped[secondStart + 10] as number) ^ 1;
    expect(scanFrames(flipped, 1024).stop).toMatchObject({ kind: 'damaged', offset: secondStart });
    expect(findValidFrame(buffer, 1, 1024)).toBe(secondStart);
  });

  it('refuses to encode a payload above the limit', () => {
    expect(() => encodeJsonFrames(FrameType.record, ['x'.repeat(100)], 50)).toThrow(/exceeds/);
  });
});
