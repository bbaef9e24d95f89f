import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './backoff.js';
import { decodeJsonObject, encodeJsonFrame, FrameDecoder, FrameError } from './frame-codec.js';

describe('FrameDecoder', () => {
  const messages = [
    { type: 'a', n: 1 },
    { type: 'b', text: 'ünï' },
    { type: 'c', list: [1, 2] },
  ];
  const stream = Buffer.concat(messages.map((message) => encodeJsonFrame(message, 1024)));

  it('reassembles frames split at every byte position', () => {
    for (let split = 0; split <= stream.length; split++) {
      const decoder = new FrameDecoder(1024);
      const payloads = [
        ...decoder.push(stream.subarray(0, split)),
        ...decoder.push(stream.subarray(split)),
      ];
      expect(payloads.map(decodeJsonObject)).toEqual(messages);
    }
  });

  it('reassembles frames delivered one byte at a time, and several in one read', () => {
    const decoder = new FrameDecoder(1024);
    const payloads: Buffer[] = [];
    for (const byte of stream) payloads.push(...decoder.push(Buffer.from([byte])));
    expect(payloads.map(decodeJsonObject)).toEqual(messages);
    expect(new FrameDecoder(1024).push(stream).map(decodeJsonObject)).toEqual(messages);
  });

  it('rejects an oversized frame as soon as its length arrives', () => {
    const decoder = new FrameDecoder(1024);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1025, 0);
    expect(() => decoder.push(header)).toThrow(FrameError);
    expect(() => encodeJsonFrame({ text: 'x'.repeat(2000) }, 1024)).toThrow(/exceeds/);
  });

  it('rejects payloads that are not JSON objects', () => {
    expect(() => decodeJsonObject(Buffer.from('not json'))).toThrow(FrameError);
    expect(() => decodeJsonObject(Buffer.from('[1,2]'))).toThrow(FrameError);
    expect(() => decodeJsonObject(Buffer.from('null'))).toThrow(FrameError);
    expect(decodeJsonObject(Buffer.from('{"type":"x"}'))).toEqual({ type: 'x' });
  });
});

describe('backoffDelayMs', () => {
  const policy = { backoffMsMin: 100, backoffMsMax: 5000 };

  it('doubles per attempt within [nominal/2, nominal] and stops at the ceiling', () => {
    expect(backoffDelayMs(0, policy, () => 0)).toBe(50);
    expect(backoffDelayMs(0, policy, () => 0.999999)).toBe(100);
    expect(backoffDelayMs(3, policy, () => 0)).toBe(400);
    expect(backoffDelayMs(10, policy, () => 0.999999)).toBe(5000);
    expect(backoffDelayMs(10_000, policy, () => 0)).toBe(2500);
  });
});
