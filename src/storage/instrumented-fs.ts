import type { StorageFile, StorageFs } from './storage-fs.js';

export type FsOperation =
  | 'open'
  | 'readFile'
  | 'readdir'
  | 'mkdir'
  | 'rename'
  | 'unlink'
  | 'syncDirectory'
  | 'writev'
  | 'datasync'
  | 'sync'
  | 'truncate';

export interface FsCounters {
  calls: Record<FsOperation, number>;
  /** Total milliseconds spent in datasync and sync, for an fsync-latency metric. */
  syncMsTotal: number;
}

/**
 * Called before every operation; throwing from it makes the operation fail without touching the
 * disk. Tests use it to stop a sequence at a chosen step, as a crash would.
 */
export type FsHook = (operation: FsOperation, path: string) => void;

/** Wraps a StorageFs to count operations and time syncs (metrics), and to inject failures (tests). */
export function instrumentFs(
  base: StorageFs,
  hook: FsHook = () => {},
  /** Each datasync's or sync's duration, for a latency histogram. */
  onSyncMs: (ms: number) => void = () => {},
): {
  fs: StorageFs;
  counters: FsCounters;
} {
  const counters: FsCounters = {
    calls: {
      open: 0,
      readFile: 0,
      readdir: 0,
      mkdir: 0,
      rename: 0,
      unlink: 0,
      syncDirectory: 0,
      writev: 0,
      datasync: 0,
      sync: 0,
      truncate: 0,
    },
    syncMsTotal: 0,
  };
  /** Runs the hook and counts, then the operation; a throwing hook becomes a rejection. */
  const step = async <T>(operation: FsOperation, path: string, run: () => Promise<T>) => {
    hook(operation, path);
    counters.calls[operation]++;
    return run();
  };
  const timed = async (run: () => Promise<void>): Promise<void> => {
    const start = performance.now();
    await run();
    const ms = performance.now() - start;
    counters.syncMsTotal += ms;
    onSyncMs(ms);
  };
  const wrapFile = (file: StorageFile, path: string): StorageFile => ({
    writev: (buffers, position) => step('writev', path, () => file.writev(buffers, position)),
    datasync: () => step('datasync', path, () => timed(() => file.datasync())),
    sync: () => step('sync', path, () => timed(() => file.sync())),
    truncate: (bytes) => step('truncate', path, () => file.truncate(bytes)),
    size: () => file.size(),
    close: () => file.close(),
  });
  const fs: StorageFs = {
    open: (path, mode) =>
      step('open', path, async () => wrapFile(await base.open(path, mode), path)),
    readFile: (path) => step('readFile', path, () => base.readFile(path)),
    async *readChunks(path, chunkBytes) {
      hook('readFile', path);
      counters.calls.readFile++;
      yield* base.readChunks(path, chunkBytes);
    },
    readdir: (path) => step('readdir', path, () => base.readdir(path)),
    mkdir: (path) => step('mkdir', path, () => base.mkdir(path)),
    rename: (from, to) => step('rename', from, () => base.rename(from, to)),
    unlink: (path) => step('unlink', path, () => base.unlink(path)),
    syncDirectory: (path) => step('syncDirectory', path, () => base.syncDirectory(path)),
  };
  return { fs, counters };
}
