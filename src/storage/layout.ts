import { join } from 'node:path';
import { assert } from '../core/assert.js';

/**
 * The data directory:
 *
 *   <dataDir>/LOCK                         owner's pid; held while a store is open
 *   <dataDir>/wal/0000000000000001.wal     WAL segments, numbered from 1, 16 hex digits
 *   <dataDir>/snap/0000000000000005.snap   snapshot; its number is the first segment after it
 *   <dataDir>/snap/0000000000000005.snap.tmp   a snapshot being written (removed on recovery)
 */
export const LOCK_FILE = 'LOCK';
export const WAL_DIRECTORY = 'wal';
export const SNAPSHOT_DIRECTORY = 'snap';
const SEQUENCE_DIGITS = 16;
const TEMPORARY_SUFFIX = '.tmp';

export function sequenceName(sequence: number, extension: 'wal' | 'snap'): string {
  assert(Number.isSafeInteger(sequence) && sequence >= 1, `bad sequence number ${sequence}`);
  return `${sequence.toString(16).padStart(SEQUENCE_DIGITS, '0')}.${extension}`;
}

/** The sequence number of a `<16 hex>.<extension>` name, or undefined for any other name. */
export function parseSequenceName(name: string, extension: 'wal' | 'snap'): number | undefined {
  const match = new RegExp(`^([0-9a-f]{${SEQUENCE_DIGITS}})\\.${extension}$`).exec(name);
  if (match === null) return undefined;
  const sequence = Number.parseInt(match[1] as string, 16);
  return Number.isSafeInteger(sequence) && sequence >= 1 ? sequence : undefined;
}

export function isTemporaryName(name: string): boolean {
  return name.endsWith(TEMPORARY_SUFFIX);
}

export function temporaryName(name: string): string {
  return name + TEMPORARY_SUFFIX;
}

export interface DataDirectoryPaths {
  readonly root: string;
  readonly lock: string;
  readonly wal: string;
  readonly snapshots: string;
}

export function dataDirectoryPaths(root: string): DataDirectoryPaths {
  return {
    root,
    lock: join(root, LOCK_FILE),
    wal: join(root, WAL_DIRECTORY),
    snapshots: join(root, SNAPSHOT_DIRECTORY),
  };
}
