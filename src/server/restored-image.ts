import {
  copyFile,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { SynodError } from '../core/errors.js';
import { parseSequenceName, SNAPSHOT_DIRECTORY } from '../storage/layout.js';
import { MvccStore } from '../storage/mvcc/index.js';
import { idToHex } from './cluster-ids.js';
import type { NodeConfig } from './config.js';
import type { EtcdApplication } from './etcd-application.js';
import type { ImageContents } from './snapshot-image.js';
import { readImage } from './snapshot-image.js';

/**
 * A data directory made by `synod snapshot restore` starts from an image instead of an empty
 * state: `<dataDir>/restore.image` (the image as saved) and `<dataDir>/restore.json` (who it was
 * restored for). Every member of the new cluster restores the same image, so their states agree
 * at log index 0 and the log applies on top. Once the member has written a snapshot of its own
 * (which includes the image's keys), the image is redundant and is deleted at the next start.
 */
const IMAGE_FILE = 'restore.image';
const MARKER_FILE = 'restore.json';

interface RestoreMarker {
  readonly name: string;
  readonly clusterId: string;
  readonly sha256: string;
  readonly revision: number;
}

/** Reads an image and checks its records by loading them into a scratch store. */
export async function loadImageFile(path: string): Promise<ImageContents & { store: MvccStore }> {
  let file: Buffer;
  try {
    file = await readFile(path);
  } catch (error) {
    throw new SynodError(
      'SNAPSHOT_IMAGE_INVALID',
      `cannot read ${path}: ${(error as Error).message}`,
    );
  }
  const contents = readImage(path, file);
  const store = new MvccStore();
  try {
    store.restore(contents.snapshot);
  } catch (error) {
    throw new SynodError(
      'SNAPSHOT_IMAGE_INVALID',
      `${path}: the image's records are inconsistent (${(error as Error).message})`,
    );
  }
  return { ...contents, store };
}

/** `synod snapshot restore`: a new member's data directory holding the image. */
export async function restoreDataDirectory(
  imagePath: string,
  config: NodeConfig,
): Promise<ImageContents> {
  const contents = await loadImageFile(imagePath);
  const dataDir = resolve(config.dataDir);
  const existing = await readdir(dataDir).catch(() => undefined);
  if (existing !== undefined && existing.length > 0)
    throw new SynodError(
      'SERVER_BAD_FLAG',
      `--data-dir ${dataDir} exists and is not empty; restore into a new directory`,
    );
  await mkdir(dataDir, { recursive: true });
  await syncDirectory(dirname(dataDir));
  const temporary = join(dataDir, `${IMAGE_FILE}.tmp`);
  await copyFile(imagePath, temporary);
  await syncFile(temporary);
  await rename(temporary, join(dataDir, IMAGE_FILE));
  const marker: RestoreMarker = {
    name: config.name,
    clusterId: idToHex(config.clusterId),
    sha256: contents.sha256,
    revision: contents.header.revision,
  };
  await writeFile(join(dataDir, MARKER_FILE), `${JSON.stringify(marker, null, 2)}\n`);
  await syncFile(join(dataDir, MARKER_FILE));
  await syncDirectory(dataDir);
  return contents;
}

/**
 * At start, before the engine replays its log: load a restored image into the application, or
 * delete it if a snapshot of this member's own already covers it. Returns the image's revision.
 */
export async function seedFromRestoredImage(
  config: NodeConfig,
  app: EtcdApplication,
): Promise<number | undefined> {
  const dataDir = resolve(config.dataDir);
  const imagePath = join(dataDir, IMAGE_FILE);
  const markerText = await readFile(join(dataDir, MARKER_FILE), 'utf8').catch(() => undefined);
  if (markerText === undefined) return undefined;
  const marker = JSON.parse(markerText) as RestoreMarker;
  const clusterId = idToHex(config.clusterId);
  if (marker.name !== config.name || marker.clusterId !== clusterId)
    throw new SynodError(
      'SERVER_BAD_FLAG',
      `${dataDir} was restored for member ${marker.name} of cluster ${marker.clusterId}, but the ` +
        `flags give member ${config.name} of cluster ${clusterId}; use the --name, ` +
        '--initial-cluster and --initial-cluster-token given to `synod snapshot restore`',
    );
  const snapshots = await readdir(join(dataDir, SNAPSHOT_DIRECTORY)).catch(() => [] as string[]);
  if (snapshots.some((name) => parseSequenceName(name, 'snap') !== undefined)) {
    await unlink(imagePath).catch(() => undefined);
    return undefined;
  }
  const contents = await loadImageFile(imagePath);
  if (contents.sha256 !== marker.sha256)
    throw new SynodError(
      'SNAPSHOT_IMAGE_INVALID',
      `${imagePath} is not the image ${dataDir} was restored from (SHA-256 differs)`,
    );
  app.seed(contents.snapshot, contents.header.auth);
  return contents.header.revision;
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDirectory(path: string): Promise<void> {
  await syncFile(path);
}
