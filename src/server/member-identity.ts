import { open, readdir, readFile, rename, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SynodError } from '../core/errors.js';
import type { NodeId } from '../core/ids.js';
import { isNodeId } from '../core/ids.js';
import type { NodeConfig } from './config.js';

/**
 * Who this member is, kept in its data directory from its first start (etcd keeps the same in its
 * WAL metadata). On a restart it wins over the `--initial-*` flags, which describe the cluster as
 * it was when the member was first started and go stale as members come and go.
 */
export interface MemberIdentity {
  readonly version: 1;
  readonly name: string;
  readonly nodeId: NodeId;
  /** etcd's member id, decimal. */
  readonly memberId: string;
  /** etcd's cluster id, decimal: fixed when the cluster is created, whatever joins later. */
  readonly clusterId: string;
  /** Joined a running cluster: its engine starts with no configuration and learns it from the log. */
  readonly joined: boolean;
  /**
   * The cluster's initial members: the membership every replica starts from before its first
   * entry or snapshot, so that replaying the log from index 1 gives the same state everywhere.
   */
  readonly bootstrap: readonly BootstrapMember[];
}

export interface BootstrapMember {
  readonly nodeId: NodeId;
  readonly memberId: string;
  readonly peerUrls: readonly string[];
}

export const IDENTITY_FILE = 'member.json';

function bad(message: string): SynodError {
  return new SynodError('SERVER_BAD_DATA_DIR', message);
}

/** The identity in `dataDir`, or undefined when the directory holds none. */
export async function readIdentity(dataDir: string): Promise<MemberIdentity | undefined> {
  const path = join(resolve(dataDir), IDENTITY_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bad(`${path} is not valid JSON; restore it from a backup or remove the data directory`);
  }
  const problem = identityProblem(value);
  if (problem !== undefined)
    throw bad(`${path}: ${problem}; restore it from a backup or remove the data directory`);
  return value as MemberIdentity;
}

function identityProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not an object';
  const identity = value as Record<string, unknown>;
  if (identity.version !== 1) return `unknown version ${String(identity.version)}`;
  if (typeof identity.name !== 'string' || identity.name === '') return 'no member name';
  if (!isNodeId(identity.nodeId)) return 'no node id';
  if (typeof identity.memberId !== 'string' || !/^\d+$/.test(identity.memberId))
    return 'no member id';
  if (typeof identity.clusterId !== 'string' || !/^\d+$/.test(identity.clusterId))
    return 'no cluster id';
  if (typeof identity.joined !== 'boolean') return 'no "joined" flag';
  if (!Array.isArray(identity.bootstrap) || identity.bootstrap.length === 0)
    return 'no bootstrap members';
  for (const member of identity.bootstrap as unknown[]) {
    const each = member as Record<string, unknown>;
    if (
      typeof member !== 'object' ||
      member === null ||
      !isNodeId(each.nodeId) ||
      typeof each.memberId !== 'string' ||
      !Array.isArray(each.peerUrls)
    )
      return 'a malformed bootstrap member';
  }
  return undefined;
}

/** Writes the identity atomically: a temporary file, fsync, rename, fsync the directory. */
export async function writeIdentity(dataDir: string, identity: MemberIdentity): Promise<void> {
  const root = resolve(dataDir);
  await mkdir(root, { recursive: true });
  const path = join(root, IDENTITY_FILE);
  const temporary = `${path}.tmp`;
  const file = await open(temporary, 'w');
  try {
    await file.writeFile(`${JSON.stringify(identity, null, 2)}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
  const directory = await open(root, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/** Whether `dataDir` already holds WAL segments (a member started before identities were kept). */
export async function hasWal(dataDir: string): Promise<boolean> {
  try {
    return (await readdir(join(resolve(dataDir), 'wal'))).some((name) => name.endsWith('.wal'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** The identity of a member of a new cluster, from its flags alone. */
export function identityFromFlags(config: NodeConfig): MemberIdentity {
  return {
    version: 1,
    name: config.name,
    nodeId: config.self.nodeId,
    memberId: config.self.memberId.toString(),
    clusterId: config.clusterId.toString(),
    joined: false,
    bootstrap: config.members.map((member) => ({
      nodeId: member.nodeId,
      memberId: member.memberId.toString(),
      peerUrls: [...member.peerUrls],
    })),
  };
}
