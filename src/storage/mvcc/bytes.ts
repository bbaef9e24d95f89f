import type { Bytes } from './types.js';

/**
 * Byte strings (see types.ts): one char per byte. These helpers convert at the edges without Node's
 * Buffer, so the store also runs in the browser.
 */

// The range starts at NUL on purpose: every byte value is a legal char.
// eslint-disable-next-line no-control-regex
const NON_BYTE_CHAR = /[^\x00-\xff]/;

/** True when every char of `text` is a byte (char code 0..255). */
export function isByteString(text: unknown): text is Bytes {
  return typeof text === 'string' && !NON_BYTE_CHAR.test(text);
}

export function bytesToByteString(bytes: Uint8Array): Bytes {
  let text = '';
  // Chunks keep String.fromCharCode's argument list well under engine limits.
  const chunkBytes = 8192;
  for (let start = 0; start < bytes.length; start += chunkBytes) {
    text += String.fromCharCode(...bytes.subarray(start, start + chunkBytes));
  }
  return text;
}

export function byteStringToBytes(text: Bytes): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index++) bytes[index] = text.charCodeAt(index) & 0xff;
  return bytes;
}

/** A UTF-8 string as a byte string, for tests and tools that speak text. */
export function utf8(text: string): Bytes {
  return bytesToByteString(new TextEncoder().encode(text));
}

/**
 * The end of the range of every key starting with `prefix` (etcd's `GetPrefixRangeEnd`): the
 * prefix with its last byte below 0xff incremented and the rest dropped; `'\0'` (every key) when
 * the prefix is all 0xff bytes or empty.
 */
export function prefixEnd(prefix: Bytes): Bytes {
  for (let index = prefix.length - 1; index >= 0; index--) {
    const code = prefix.charCodeAt(index);
    if (code < 0xff) return prefix.slice(0, index) + String.fromCharCode(code + 1);
  }
  return '\0';
}
