import { describe, expect, test } from 'vitest';
import { byteStringToBytes, bytesToByteString, isByteString, prefixEnd, utf8 } from './bytes.js';
import { MvccStore } from './store.js';
import { get, keysOf, put, range } from './test-support.js';

describe('byte keys and values', () => {
  test('keys order by unsigned bytes: 0x00 first, 0xff last', () => {
    const store = new MvccStore();
    for (const key of ['\xff', 'a', '\x00', '\x7f', '\x80', 'a\x00', '\xff\xff'])
      put(store, key, key);
    expect(keysOf(range(store, { key: '\x00', rangeEnd: '\0' }))).toEqual([
      '\x00',
      'a',
      'a\x00',
      '\x7f',
      '\x80',
      '\xff',
      '\xff\xff',
    ]);
  });

  test('a key of a single 0x00 byte is a key like any other; from-key ranges still work', () => {
    const store = new MvccStore();
    put(store, '\0', 'zero');
    expect(get(store, '\0')?.value).toBe('zero');
    expect(keysOf(range(store, { key: '\0', rangeEnd: '\0' }))).toEqual(['\0']);
  });

  test('every byte value survives a JSON round trip in a command and a snapshot', () => {
    const all = bytesToByteString(Uint8Array.from({ length: 256 }, (_, index) => index));
    const command = JSON.parse(JSON.stringify({ type: 'put', request: { key: all, value: all } }));
    const store = new MvccStore();
    store.apply(command);
    const restored = new MvccStore();
    restored.restore(JSON.parse(JSON.stringify(store.snapshot())));
    expect(byteStringToBytes(get(restored, all)?.value ?? '')).toEqual(byteStringToBytes(all));
  });

  test('prefixEnd increments the last byte below 0xff', () => {
    expect(prefixEnd('abc')).toBe('abd');
    expect(prefixEnd('a\xff')).toBe('b');
    expect(prefixEnd('\xff\xff')).toBe('\0');
    expect(prefixEnd('')).toBe('\0');
  });

  test('utf8 text becomes its bytes; chars above 0xff are not byte strings', () => {
    expect(utf8('é')).toBe('\xc3\xa9');
    expect(isByteString('é')).toBe(true);
    expect(isByteString('€')).toBe(false);
    expect(isByteString(3)).toBe(false);
  });
});
