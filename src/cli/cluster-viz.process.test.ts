import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  SYNOD_BIN,
  builtCliExists,
  freePort,
  portIsFree,
} from '../server/testing/process-cluster.js';
import { packageRoot } from './package-root.js';

/** `synod cluster` (what `npm start` runs) serves the visualizer live on its own members. */
const runnable = builtCliExists() && existsSync(join(packageRoot(), 'dist', 'web', 'index.html'));
if (!runnable) console.warn('skipping the synod cluster --viz-port test: run npm run build first');

/** A one-member cluster takes base, base + 1 and base + 2: find three free in a row. */
async function freeBasePort(): Promise<number> {
  for (;;) {
    const base = await freePort();
    if (base + 2 <= 65_535 && (await portIsFree(base + 1)) && (await portIsFree(base + 2)))
      return base;
  }
}

describe.runIf(runnable)('synod cluster with the visualizer', () => {
  let child: ChildProcess | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'synod-cluster-viz-'));

  afterAll(async () => {
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  it('prints the live URL, serves the page there, and the members answer the page', async () => {
    const base = await freeBasePort();
    child = spawn(process.execPath, [
      SYNOD_BIN,
      'cluster',
      '--nodes',
      '1',
      '--base-port',
      String(base),
      '--data-dir',
      dataDir,
      '--viz-port',
      '0',
    ]);
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += String(chunk)));
    child.stderr!.on('data', (chunk: Buffer) => (output += String(chunk)));
    await expect
      .poll(() => /Watch it live: (\S+)/.exec(output)?.[1], { timeout: 20_000 })
      .toBeDefined();
    const url = new URL(/Watch it live: (\S+)/.exec(output)![1]!);
    expect(url.searchParams.get('live')).toBe(`http://127.0.0.1:${base + 2}`);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('live-endpoints');
    await expect
      .poll(
        async () => {
          try {
            const state = (await (
              await fetch(`${url.searchParams.get('live')}/synod/v1/state`)
            ).json()) as { role: string };
            return state.role;
          } catch {
            return 'not yet';
          }
        },
        { timeout: 20_000, interval: 200 },
      )
      .toBe('leader');
  }, 60_000);
});
