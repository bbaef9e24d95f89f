import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ProcessCluster,
  SYNOD_BIN,
  builtCliExists,
  etcdctlExists,
} from './testing/process-cluster.js';

/**
 * Backup and restore as an operator does it: `etcdctl snapshot save` against a 3-process cluster,
 * `synod snapshot status`, `synod snapshot restore` into a new cluster, then read every key back.
 */
const runnable = builtCliExists() && etcdctlExists();

function synod(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [SYNOD_BIN, ...args],
      { timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function initialCluster(cluster: ProcessCluster): string {
  return cluster.members.map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`).join(',');
}

describe.runIf(runnable)('etcdctl snapshot save, synod snapshot status and restore', () => {
  let source: ProcessCluster;
  let restored: ProcessCluster | undefined;
  const scratch = mkdtempSync(join(tmpdir(), 'synod-snapshot-'));
  const image = join(scratch, 'backup.db');

  beforeAll(async () => {
    source = await ProcessCluster.launch(3);
  }, 60_000);

  afterAll(async () => {
    await source?.destroy();
    await restored?.destroy();
    rmSync(scratch, { recursive: true, force: true });
  }, 30_000);

  it('saves a snapshot with etcdctl and shows its status', async () => {
    for (let i = 0; i < 20; i++)
      expect((await source.etcdctl(['put', `key${i}`, `value-${i}`])).code).toBe(0);
    await source.etcdctl(['put', 'key0', 'rewritten']);
    await source.etcdctl(['del', 'key19']);
    // Users and roles are part of the backup, as etcd's are (auth stays off here).
    for (const command of [
      ['user', 'add', 'alice:secret'],
      ['role', 'add', 'reader'],
      ['role', 'grant-permission', 'reader', 'read', 'key', '--prefix'],
      ['user', 'grant-role', 'alice', 'reader'],
    ])
      expect((await source.etcdctl(command)).code).toBe(0);
    const endpoint = `127.0.0.1:${source.members[0]?.clientPort}`;
    const saved = await source.etcdctl(['snapshot', 'save', image], endpoint);
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stdout).toContain(`Snapshot saved at ${image}`);
    const bytes = readFileSync(image);
    expect(bytes.length % 512).toBe(32); // etcd's shape: 512-byte pages, then the SHA-256

    const status = await synod(['snapshot', 'status', image, '-w', 'json']);
    expect(status.code, status.stderr).toBe(0);
    const parsed = JSON.parse(status.stdout) as Record<string, number>;
    const revision = JSON.parse((await source.etcdctl(['get', 'key0', '-w', 'json'])).stdout).header
      .revision as number;
    expect(parsed.revision).toBe(revision);
    expect(parsed.totalKey).toBe(20); // key19's deletion is retained history, as in etcd
    expect(parsed.totalSize).toBe(bytes.length);
    const hashkv = JSON.parse(
      (await source.etcdctl(['endpoint', 'hashkv', '-w', 'json'], endpoint)).stdout,
    )[0].HashKV.hash as number;
    expect(parsed.hash).toBe(hashkv);
    const table = await synod(['snapshot', 'status', image]);
    expect(table.stdout).toMatch(/\| +HASH +\| REVISION \| TOTAL KEYS \| TOTAL SIZE \|/);
  }, 60_000);

  it('restores the image into a new 3-member cluster that serves every key', async () => {
    const target = await ProcessCluster.create(3);
    restored = target;
    for (const member of target.members) {
      const result = await synod([
        'snapshot',
        'restore',
        image,
        '--data-dir',
        member.dataDir,
        '--name',
        member.name,
        '--initial-cluster',
        initialCluster(target),
        '--initial-cluster-token',
        'synod-test',
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${member.peerPort}`,
      ]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('restored 20 keys');
    }
    target.startAll();
    await target.waitReady();
    const all = await target.etcdctl(['get', 'key', '--prefix', '-w', 'json']);
    const kvs = JSON.parse(all.stdout).kvs as { key: string; value: string }[];
    expect(kvs).toHaveLength(19);
    const decoded = new Map(
      kvs.map((kv) => [
        Buffer.from(kv.key, 'base64').toString(),
        Buffer.from(kv.value, 'base64').toString(),
      ]),
    );
    expect(decoded.get('key0')).toBe('rewritten');
    expect(decoded.get('key7')).toBe('value-7');
    expect(decoded.has('key19')).toBe(false);
    expect((await target.etcdctl(['user', 'get', 'alice'])).stdout).toBe(
      'User: alice\nRoles: reader\n',
    );
    expect((await target.etcdctl(['role', 'get', 'reader'])).stdout).toContain(
      '[key, kez) (prefix key)',
    );
    // The revision carries on from the image, and writes continue on top of it.
    const before = JSON.parse(all.stdout).header.revision as number;
    await target.etcdctl(['put', 'after-restore', 'yes']);
    const after = JSON.parse((await target.etcdctl(['get', 'after-restore', '-w', 'json'])).stdout);
    expect(after.header.revision).toBe(before + 1);
    // A restart still has everything (the image is reloaded before the log replays).
    await target.stopAll();
    target.startAll();
    await target.waitReady();
    expect((await target.etcdctl(['get', 'key7'])).stdout).toBe('key7\nvalue-7\n');
    expect((await target.etcdctl(['get', 'after-restore'])).stdout).toBe('after-restore\nyes\n');
  }, 120_000);

  it('refuses a corrupt image, an etcd bbolt file and a non-empty data directory', async () => {
    const bytes = readFileSync(image);
    const corrupt = join(scratch, 'corrupt.db');
    const flipped = Buffer.from(bytes);
    flipped[100] = (flipped[100] as number) ^ 0xff;
    writeFileSync(corrupt, flipped);
    const status = await synod(['snapshot', 'status', corrupt]);
    expect(status.code).toBe(2);
    expect(status.stderr).toMatch(/SHA-256 mismatch .*the file is corrupt/);

    const truncated = join(scratch, 'truncated.db');
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 100));
    expect((await synod(['snapshot', 'status', truncated])).stderr).toMatch(
      /not a complete Synod image/,
    );

    // The first page of a bbolt file: a page header, then the meta magic 0xED0CDAED.
    const bbolt = Buffer.alloc(4096 + 32);
    bbolt.writeUInt32LE(0xed0cdaed, 16);
    const etcdFile = join(scratch, 'etcd.db');
    writeFileSync(etcdFile, bbolt);
    const refused = await synod([
      'snapshot',
      'restore',
      etcdFile,
      '--data-dir',
      join(scratch, 'x'),
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/etcd snapshot \(a bbolt database\), not a Synod image/);

    const member = source.members[0];
    if (member === undefined) throw new Error('the source cluster has members');
    const notEmpty = await synod([
      'snapshot',
      'restore',
      image,
      '--data-dir',
      member.dataDir,
      '--name',
      'n1',
      '--initial-cluster',
      initialCluster(source),
      '--initial-cluster-token',
      'synod-test',
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${member.peerPort}`,
    ]);
    expect(notEmpty.code).toBe(2);
    expect(notEmpty.stderr).toMatch(/exists and is not empty/);
  }, 60_000);
});
