import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';

/**
 * The file-system operations storage uses, behind an interface so tests can count fsyncs and stop
 * the sequence at any step to simulate a crash. Production uses `nodeStorageFs`.
 */
export interface StorageFs {
  /** `create` fails if the file exists (O_EXCL); `readWrite` opens an existing file. */
  open(path: string, mode: 'create' | 'readWrite'): Promise<StorageFile>;
  readFile(path: string): Promise<Buffer>;
  /** The file's bytes in order, `chunkBytes` at a time (the last chunk may be shorter). */
  readChunks(path: string, chunkBytes: number): AsyncIterable<Buffer>;
  /** Names in `path`; an empty list when the directory does not exist. */
  readdir(path: string): Promise<string[]>;
  /** Creates the directory and its parents if missing. */
  mkdir(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Removes a file; missing files are not an error. */
  unlink(path: string): Promise<void>;
  /** Makes the directory's entries (creations, renames, removals) durable. */
  syncDirectory(path: string): Promise<void>;
}

export interface StorageFile {
  /** One positional gather-write (pwritev); returns the bytes written. */
  writev(buffers: readonly Buffer[], position: number): Promise<number>;
  /** fdatasync: the data and the metadata needed to read it back (the size), not timestamps. */
  datasync(): Promise<void>;
  /** fsync: data and all metadata. */
  sync(): Promise<void>;
  truncate(bytes: number): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

class NodeStorageFile implements StorageFile {
  constructor(private readonly handle: fsp.FileHandle) {}

  async writev(buffers: readonly Buffer[], position: number): Promise<number> {
    let written = 0;
    let pending = [...buffers];
    // The kernel may accept part of a gather-write (disk full, signals); finish it rather than
    // leave a hole that recovery would read as a torn record in the middle.
    while (pending.length > 0) {
      const result = await this.handle.writev(pending, position + written);
      written += result.bytesWritten;
      pending = dropBytes(pending, result.bytesWritten);
    }
    return written;
  }

  datasync(): Promise<void> {
    return this.handle.datasync();
  }

  sync(): Promise<void> {
    return this.handle.sync();
  }

  truncate(bytes: number): Promise<void> {
    return this.handle.truncate(bytes);
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

function dropBytes(buffers: readonly Buffer[], bytes: number): Buffer[] {
  const rest: Buffer[] = [];
  let skip = bytes;
  for (const buffer of buffers) {
    if (skip >= buffer.length) {
      skip -= buffer.length;
      continue;
    }
    rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
    skip = 0;
  }
  return rest;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

export const nodeStorageFs: StorageFs = {
  async open(path, mode) {
    const flags =
      mode === 'create'
        ? constants.O_RDWR | constants.O_CREAT | constants.O_EXCL
        : constants.O_RDWR;
    return new NodeStorageFile(await fsp.open(path, flags, 0o644));
  },
  readFile: (path) => fsp.readFile(path),
  async *readChunks(path, chunkBytes) {
    const handle = await fsp.open(path, constants.O_RDONLY);
    try {
      for (;;) {
        // A fresh buffer each time: the caller may keep the chunk (frames point into it).
        const buffer = Buffer.allocUnsafe(chunkBytes);
        const { bytesRead } = await handle.read(buffer, 0, chunkBytes, null);
        if (bytesRead === 0) return;
        yield bytesRead === chunkBytes ? buffer : buffer.subarray(0, bytesRead);
      }
    } finally {
      await handle.close();
    }
  },
  async readdir(path) {
    try {
      return await fsp.readdir(path);
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
  },
  async mkdir(path) {
    await fsp.mkdir(path, { recursive: true });
  },
  rename: (from, to) => fsp.rename(from, to),
  async unlink(path) {
    try {
      await fsp.unlink(path);
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  },
  async syncDirectory(path) {
    // Opening a directory read-only and fsyncing it is how POSIX makes entries durable; Windows
    // refuses to open directories, and NTFS journals its metadata, so there we skip it.
    if (process.platform === 'win32') return;
    const handle = await fsp.open(path, constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};
