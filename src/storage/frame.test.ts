import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c } from './crc32c.js';
import {
  encodeJsonFrames,
  findValidFrame,
  FrameStream,
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

describe('FrameStream', () => {
  const file = encodeJsonFrames(
    FrameType.record,
    ['a', 'x'.repeat(300), { n: 1 }, 'y'.repeat(50), null],
    1024,
  );

  function streamed(bytes: Buffer, cuts: number[]) {
    const stream = new FrameStream(1024);
    const frames = [];
    let start = 0;
    for (const cut of [
      ...cuts.filter((at) => at > 0 && at < bytes.length).sort((a, b) => a - b),
      bytes.length,
    ]) {
      const pushed = stream.push(bytes.subarray(start, cut));
      frames.push(...pushed.frames);
      if (pushed.damaged !== undefined) return { frames, stop: pushed.damaged };
      start = cut;
    }
    return { frames, stop: stream.finish() };
  }

  it('gives the frames scanFrames gives, wherever the chunks are cut', () => {
    const whole = scanFrames(file, 1024).frames.map((frame) => [
      frame.offset,
      parseJsonPayload(frame),
    ]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: file.length }), { maxLength: 12 }), (cuts) => {
        const { frames, stop } = streamed(file, cuts);
        expect(stop).toBeUndefined();
        expect(frames.map((frame) => [frame.offset, parseJsonPayload(frame)])).toEqual(whole);
      }),
    );
  });

  it('reports a damaged frame at its offset in the file, and a cut frame at the end', () => {
    const damaged = Buffer.from(file);
    const second = scanFrames(file, 1024).frames[1]!.offset;
    damaged[second + 20] = (damaged[second + 20] as number) ^ 0x01;
    const { frames, stop } = streamed(damaged, [7, 100, 200]);
    expect(frames).toHaveLength(1);
    expect(stop).toMatchObject({ kind: 'damaged', offset: second });
    expect(streamed(file.subarray(0, file.length - 3), [50]).stop).toMatchObject({
      kind: 'incomplete',
    });
  });

  it('refuses a length above the limit as soon as the header arrives', () => {
    const header = Buffer.alloc(9);
    header.writeUInt32LE(5000, 0);
    expect(new FrameStream(1024).push(header).damaged?.reason).toMatch(/5000 bytes exceeds/);
  });
});
