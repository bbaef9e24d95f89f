/**
 * The visualizer in a real browser: Debian's chromium driven by playwright-core against
 * `synod viz`. Needs `npm run build` first (npm test does it). Skipped, with a message, only when
 * chromium is missing outside CI; in CI .ci/run installs it, so the tests always run there.
 * `UPDATE_SCREENSHOT=1` also copies the first test's picture to web/docs/screenshot.png (README).
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, ROOT, startViz } from './viz-harness.js';

const ARTIFACTS = join(ROOT, 'test-artifacts');
const runnable = existsSync(CHROMIUM) || process.env['CI'] !== undefined;
if (!runnable)
  console.warn(
    `web/test/viz.browser.test.ts skipped: no ${CHROMIUM} (apt-get install -y chromium); CI always runs it`,
  );

/**
 * A trace whose run breaks linearizability (not an invariant first): last-writer-wins replication
 * makes readers flip. The first such seed, so a change in the protocol moves it, not the test.
 */
function linearizabilityTrace(): string {
  const directory = mkdtempSync(join(tmpdir(), 'synod-viz-'));
  for (let seed = 1; seed <= 40; seed++) {
    const file = join(directory, `lww-${seed}.jsonl`);
    const args = ['sim', '--protocol', 'replication', '--variant', 'lww', '--duration', '1s'];
    const sim = spawnSync(process.execPath, [
      join(ROOT, 'bin/synod.js'),
      ...args,
      '--seed',
      String(seed),
      '--trace',
      file,
    ]);
    if (sim.status === 1 && readFileSync(file, 'utf8').includes('"kind":"linearizability"'))
      return file;
  }
  throw new Error('no seed in 1..40 breaks linearizability of replication/lww');
}

async function leaders(page: Page): Promise<string> {
  return (await page.locator('#leader-summary').getAttribute('data-leaders')) ?? '';
}

async function playUntil(page: Page, condition: string, argument: unknown): Promise<void> {
  await page.click('#play');
  await page.waitForFunction(condition, argument, { timeout: 15_000 });
  await page.click('#play');
}

describe.skipIf(!runnable)('the visualizer in chromium', () => {
  let viz: { child: ChildProcess; url: string };
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    viz = await startViz();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    await page.goto(viz.url);
    await page.locator('#speed').fill('1'); // 10×
  });

  afterAll(async () => {
    await browser?.close();
    viz?.child.kill('SIGINT');
  });

  it('runs Raft until a leader is shown, then a new one after the leader crashes', async () => {
    await playUntil(
      page,
      () => document.querySelector<HTMLElement>('#leader-summary')?.dataset['leaders'] !== '',
      undefined,
    );
    const first = await leaders(page);
    expect(first).toMatch(/^\d$/);
    await page.click(`g.node[data-node="${first}"]`);
    await page.click('#crash');
    await expect
      .poll(() => page.locator(`g.node[data-node="${first}"]`).getAttribute('data-status'))
      .toBe('crashed');
    await playUntil(
      page,
      (old: string) => {
        const now = document.querySelector<HTMLElement>('#leader-summary')?.dataset['leaders'];
        return now !== '' && now !== old;
      },
      first,
    );
    expect(await leaders(page)).not.toBe(first);
    // The README's picture: heartbeats on the wire around the new leader, taken while playing.
    await page.click('#play');
    await page.waitForFunction(
      () =>
        Number(document.querySelector('canvas.stage-messages')?.getAttribute('data-messages')) >= 3,
      undefined,
      { timeout: 15_000 },
    );
    await page.screenshot({ path: join(ARTIFACTS, 'viz-raft-new-leader.png') });
    if (process.env['UPDATE_SCREENSHOT'] !== undefined)
      copyFileSync(
        join(ARTIFACTS, 'viz-raft-new-leader.png'),
        join(ROOT, 'web/docs/screenshot.png'),
      );
    await page.click('#play');
  });

  it('partitions the network and heals it', async () => {
    await page.check('input[data-side="0"]');
    await page.check('input[data-side="1"]');
    await page.click('#partition');
    expect(await page.locator('line[data-cut="true"]').count()).toBe(6); // {0,1} x {2,3,4}
    await page.click('#play');
    await page.waitForTimeout(800);
    await page.click('#play');
    const drops = await page.locator('canvas.stage-messages').getAttribute('data-drops');
    expect(Number(drops)).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, 'viz-partition.png') });
    await page.click('#heal');
    expect(await page.locator('line[data-cut="true"]').count()).toBe(0);
  });

  it('space plays and pauses, also right after the play button was clicked', async () => {
    await page.click('#play');
    await page.keyboard.press(' ');
    expect(await page.textContent('#play')).toContain('play');
    await page.keyboard.press(' ');
    expect(await page.textContent('#play')).toContain('pause');
    await page.keyboard.press(' ');
    expect(await page.textContent('#play')).toContain('play');
  });

  it('steps forward and back with the keyboard, back to the same state', async () => {
    await page.locator('#stage').click({ position: { x: 5, y: 5 } });
    const stepText = (): Promise<string | null> => page.textContent('#step-label');
    const summaryBefore = await page.textContent('#leader-summary');
    const before = await stepText();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    expect(await stepText()).not.toBe(before);
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft'); // coalesced into one rebuild
    await expect.poll(stepText).toBe(before);
    expect(await page.textContent('#leader-summary')).toBe(summaryBefore);
    await page.locator('#scrubber').fill('0'); // back to the start of the run
    await expect.poll(stepText).toBe('step 0');
    expect(await leaders(page)).toBe('');
  });

  it('opens a violation trace, runs to the violation and highlights it', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'synod-viz-')), 'fig8.jsonl');
    const sim = spawnSync(process.execPath, [
      join(ROOT, 'bin/synod.js'),
      'sim',
      '--scenario',
      join(ROOT, 'scenarios/raft-commit-old-term.json'),
      // A sweep writes the trace of its first failing seed, whichever that is.
      '--seeds',
      '1..300',
      '--trace',
      file,
    ]);
    expect(sim.status).toBe(1); // a violation
    await page.setInputFiles('#trace-file', file);
    await expect.poll(() => page.textContent('#banner')).toContain('Replaying a trace');
    await page.click('#jump-violation');
    const banner = page.locator('#banner.violation');
    await expect
      .poll(() => banner.textContent(), { timeout: 20_000 })
      .toContain('leader-completeness');
    expect(await page.textContent('#banner')).toContain("The replay produced the trace's");
    expect(await page.locator('g.node.blamed').count()).toBeGreaterThan(0);
    expect(await page.locator('#events li.violation').count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'viz-violation.png') });
    const atViolation = await page.textContent('#step-label');
    await page.locator('#events li').nth(8).click(); // an earlier event: back to its step
    expect(await page.textContent('#step-label')).not.toBe(atViolation);
    expect(await page.locator('#banner.violation').count()).toBe(0);
  });

  it('shows the client history of a linearizability violation, the named operations highlighted', async () => {
    const file = linearizabilityTrace();
    await page.setInputFiles('#trace-file', file);
    await expect.poll(() => page.textContent('#banner')).toContain('Replaying a trace');
    await page.click('#jump-violation');
    await expect
      .poll(() => page.locator('#banner.violation').textContent(), { timeout: 30_000 })
      .toContain('cannot be linearized');
    await expect.poll(() => page.locator('#history').isVisible()).toBe(true);
    const explanation = (await page.locator('#history-explanation').textContent()) ?? '';
    expect(explanation).toContain('Then this operation cannot be linearized:');
    const stuck = page.locator('#history .op.mark-stuck');
    expect(await stuck.count()).toBe(1);
    expect(await page.locator('#history .op.mark-prefix').count()).toBeGreaterThan(0);
    // The stuck operation is the one the explanation names after "cannot be linearized".
    const named = /cannot be linearized:\n\s+process (\d+)\s+(\S+)/.exec(explanation);
    expect(named).not.toBeNull();
    const [, process, f] = named!;
    expect(await stuck.textContent()).toMatch(new RegExp(`^${f} `));
    const lane = stuck.locator('xpath=../..');
    expect(await lane.locator('.lane-name').textContent()).toBe(`p${process}`);
    // Every operation the explanation lists as pending with it is marked.
    const pendingLines = explanation.split(
      'nor can any of the operations pending with it go first:',
    )[1];
    const pendingCount =
      pendingLines === undefined ? 0 : (pendingLines.match(/^\s+process /gm) ?? []).length;
    expect(await page.locator('#history .op.mark-pending').count()).toBe(pendingCount);
    await page.locator('#history details summary').click();
    await page.screenshot({ path: join(ARTIFACTS, 'viz-linearizability.png') });
    const atViolation = await page.textContent('#step-label');
    await stuck.click();
    await expect.poll(() => page.textContent('#step-label')).not.toBe(atViolation);
    const invoked = page.locator('#events li.current', { hasText: `client ${process} →` });
    expect(await invoked.count()).toBe(1);
    expect(await page.locator('#history .op.current.mark-stuck').count()).toBe(1);
  });

  it('plays a guided tour to the end', async () => {
    await page.selectOption('#tour-select', { index: 1 });
    const next = page.locator('#tour-next');
    for (let i = 0; i < 100 && (await next.isEnabled()); i++) await next.click();
    expect(await page.locator('#tour').getAttribute('data-done')).toBe('true');
    expect(await page.textContent('#tour-progress')).toContain('the end');
    expect(await page.locator('#tour-lines li.problem').count()).toBe(0);
    await page.click('#tour-back');
    expect(await page.locator('#tour').getAttribute('data-done')).toBe('false');
    await page.screenshot({ path: join(ARTIFACTS, 'viz-tour.png') });
  });

  it('logged no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
