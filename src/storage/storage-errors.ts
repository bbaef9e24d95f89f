import { SynodError } from '../core/errors.js';

/** Stable codes of the storage layer's user-facing errors. */
export const StorageErrorCode = {
  walCorrupt: 'WAL_CORRUPT',
  walMissingSegment: 'WAL_MISSING_SEGMENT',
  snapshotCorrupt: 'SNAPSHOT_CORRUPT',
  dataDirLocked: 'DATA_DIR_LOCKED',
  storageFailed: 'STORAGE_FAILED',
  storageOverloaded: 'STORAGE_OVERLOADED',
  storageClosed: 'STORAGE_CLOSED',
} as const;

/** The repair advice every corruption error ends with. */
export function repairAdvice(dataDir: string): string {
  return (
    `To repair: stop this node, move the data directory aside (mv ${dataDir} ${dataDir}.corrupt) ` +
    `and restart it empty so it rejoins and catches up from its peers, or restore a snapshot into ` +
    `it. Keep the moved copy for diagnosis. (A future \`synod repair-wal --truncate-at\` will ` +
    `cut the log at the damage instead, losing every record after it.)`
  );
}

export function walCorruptError(
  dataDir: string,
  file: string,
  offset: number,
  reason: string,
): SynodError {
  return new SynodError(
    StorageErrorCode.walCorrupt,
    `WAL corrupt: ${file} at byte offset ${offset}: ${reason}. This is damage before the end of ` +
      `the log, not a write cut short by a crash, so the node refuses to start rather than ` +
      `silently lose acknowledged records. ${repairAdvice(dataDir)}`,
  );
}
