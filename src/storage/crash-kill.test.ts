import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DurableStore } from './durable-store.js';

/**
 * Acknowledged ⇒ durable, against a real SIGKILL: a child process appends from many concurrent
 * writers and prints each record's index once its append resolved; the parent kills it mid-stream
 * and checks that recovery returns an exact prefix of the append order containing every
 * acknowledged record.
 */
const sourceRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
let workDir: string;

/** Transpiles src/core and src/storage to plain JS so a bare `node` child can run them. */
async function buildChildModules(target: string): Promise<void> {
  for (const layer of ['core', 'storage']) {
    await mkdir(join(target, layer), { recursive: true });
    for (const name of await readdir(join(sourceRoot, layer))) {
      if (!name.endsWith('.ts') || name.endsWith('.test.ts')) continue;
      const source = await readFile(join(sourceRoot, layer, name), 'utf8');
      const output = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      });
      await writeFile(join(target, layer, name.replace(/\.ts$/, '.js')), output.outputText);
    }
  }
}

const childScript = `
import { DurableStore } from './storage/durable-store.js';
const store = await DurableStore.open(process.argv[2]);
const { records } = await store.load();
let next = records.length;
const writers = 16;
async function writer() {
  for (;;) {
    const index = next++;
    await store.apply([{ kind: 'append', records: [{ index, pad: 'x'.repeat(index % 300) }] }], true);
    // Writes to a pipe are synchronous on Linux: once the parent reads this line, the append
    // had resolved.
    process.stdout.write(index + '\\n');
  }
}
for (let i = 0; i < writers; i++) void writer();
`;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'synod-kill-'));
  await buildChildModules(join(workDir, 'modules'));
  await writeFile(join(workDir, 'modules', 'child.mjs'), childScript);
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** Runs the child until it has acknowledged `ackCount` more appends, then SIGKILLs it. */
function runAndKill(dataDir: string, ackCount: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(workDir, 'modules', 'child.mjs'), dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acknowledged: number[] = [];
    let partial = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) acknowledged.push(Number(line));
      if (acknowledged.length >= ackCount && child.exitCode === null) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited ${code}: ${stderr}`));
      else resolve(acknowledged);
    });
  });
}

describe('SIGKILL during appends', () => {
  it('a second process cannot open a data directory a live process holds', async () => {
    const dataDir = join(workDir, 'locked');
    const holder = spawn(process.execPath, [join(workDir, 'modules', 'child.mjs'), dataDir], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    await new Promise((resolve) => holder.stdout.once('data', resolve));
    const error = await DurableStore.open(dataDir).catch((caught: unknown) => caught);
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('close', resolve));
    expect(error).toMatchObject({ code: 'DATA_DIR_LOCKED' });
    expect((error as Error).message).toContain(`process ${holder.pid}`);
  });

  it('recovers a prefix of the append order that holds every acknowledged record', async () => {
    const dataDir = join(workDir, 'data');
    let acknowledgedMax = -1;
    for (let round = 0; round < 3; round++) {
      const acknowledged = await runAndKill(dataDir, 300 + round * 200);
      expect(acknowledged.length).toBeGreaterThan(0);
      acknowledgedMax = Math.max(acknowledgedMax, ...acknowledged);
      const store = await DurableStore.open(dataDir);
      const { records } = await store.load();
      await store.close();
      const indexes = records.map((record) => (record as { index: number }).index);
      expect(indexes).toEqual(Array.from({ length: indexes.length }, (_, index) => index));
      expect(indexes.length).toBeGreaterThan(acknowledgedMax);
    }
  });
});
