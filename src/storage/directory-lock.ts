import * as fsp from 'node:fs/promises';
import { hostname } from 'node:os';
import { SynodError } from '../core/errors.js';
import { StorageErrorCode } from './storage-errors.js';

/**
 * An exclusive claim on a data directory: the LOCK file holds the owner's pid. It is created with
 * link(2) from a fully written temporary file, so no reader ever sees a half-written lock. A lock
 * whose pid is no longer running (the owner crashed) is stale and taken over.
 *
 * Node has no flock(2), hence a pid file. Its limits, stated: a recycled pid keeps a stale lock
 * looking alive (the error says how to remove it), and it guards processes on one host only.
 */
export class DirectoryLock {
  private released = false;

  private constructor(readonly path: string) {}

  static async acquire(lockPath: string, dataDir: string): Promise<DirectoryLock> {
    const content = `${process.pid}\n${hostname()}\n`;
    const staging = `${lockPath}.${process.pid}.${Math.random().toString(16).slice(2)}`;
    await fsp.writeFile(staging, content, { mode: 0o644 });
    try {
      // Two attempts: the second follows the removal of a stale lock.
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          await fsp.link(staging, lockPath);
          return new DirectoryLock(lockPath);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
        const owner = await readOwnerPid(lockPath);
        if (owner !== undefined && isRunning(owner)) throw lockedError(dataDir, lockPath, owner);
        await fsp.rm(lockPath, { force: true });
      }
      throw lockedError(dataDir, lockPath, undefined);
    } finally {
      await fsp.rm(staging, { force: true });
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await fsp.rm(this.path, { force: true });
  }
}

async function readOwnerPid(lockPath: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await fsp.readFile(lockPath, 'utf8')).split('\n')[0] ?? '', 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user; it still owns the directory.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockedError(dataDir: string, lockPath: string, pid: number | undefined): SynodError {
  const owner = pid === undefined ? 'another process' : `process ${pid}`;
  return new SynodError(
    StorageErrorCode.dataDirLocked,
    `data directory ${dataDir} is in use by ${owner} (lock file ${lockPath}). Two processes must ` +
      `never share a data directory. Stop the other process, or, if it is not running, delete the ` +
      `lock file and retry.`,
  );
}
