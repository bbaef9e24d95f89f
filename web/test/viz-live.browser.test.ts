/**
 * Live mode in a real browser on a real cluster: three `synod node` processes, `synod viz --live`
 * pointed at their metrics endpoints, Debian's chromium driven by playwright-core. Needs
 * `npm run build` first (npm test does it); skipped like viz.browser.test.ts when chromium is
 * missing outside CI.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type ConsoleMessage, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessCluster, builtCliExists } from '../../src/server/testing/process-cluster.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts');
const runnable = (existsSync(CHROMIUM) || process.env['CI'] !== undefined) && builtCliExists();
if (!runnable)
  console.warn(
    `web/test/viz-live.browser.test.ts skipped: it needs ${CHROMIUM} and npm run build; CI always runs it`,
  );

/** `synod viz --live`: resolves with the live URL it prints. */
function startLiveViz(endpoints: readonly string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [
    join(ROOT, 'bin/synod.js'),
    'viz',
    '--port',
    '0',
    '--live',
    endpoints.join(','),
  ]);
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += String(chunk);
      const url = /http:\/\/\S+\/\?live=\S+/.exec(output)?.[0];
      if (url !== undefined) resolve({ child, url });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`synod viz exited with ${code}: ${output}`)));
  });
}

interface Shown {
  readonly leaders: string;
  readonly terms: string;
}

async function shown(page: Page): Promise<Shown> {
  const summary = page.locator('#leader-summary');
  return {
    leaders: (await summary.getAttribute('data-leaders')) ?? '',
    terms: (await summary.getAttribute('data-terms')) ?? '',
  };
}

function memberNode(page: Page, name: string) {
  return page.locator('g.node', { has: page.locator('text.node-name', { hasText: name }) });
}

describe.runIf(runnable)('live mode on a 3-process cluster, in chromium', () => {
  let cluster: ProcessCluster;
  let viz: { child: ChildProcess; url: string };
  let browser: Browser;
  let page: Page;
  const consoleErrors: ConsoleMessage[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    cluster = await ProcessCluster.create(3);
    cluster.startAll();
    await cluster.waitReady(undefined, 45_000); // generous: the machine is shared
    viz = await startLiveViz(cluster.httpUrls);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message);
    });
    page.on('pageerror', (error) => consoleErrors.push({ text: () => error.message } as never));
    await page.goto(viz.url);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    viz?.child.kill('SIGINT');
    await cluster?.destroy();
  }, 30_000);

  let firstLeader: Shown;

  it('shows the leader etcdctl names, every member up, and the message rates', async () => {
    await expect
      .poll(() => page.locator('g.node[data-status="up"]').count(), { timeout: 15_000 })
      .toBe(3);
    await expect
      .poll(async () => (await shown(page)).leaders, { timeout: 15_000 })
      .toMatch(/^n\d$/);
    firstLeader = await shown(page);
    expect(firstLeader.leaders).toBe(await cluster.leader());
    expect(Number(firstLeader.terms)).toBeGreaterThanOrEqual(1);
    const leaderNode = memberNode(page, firstLeader.leaders);
    expect(await leaderNode.getAttribute('data-role')).toBe('leader');
    expect(await leaderNode.locator('text.node-epoch').textContent()).toBe(
      `term ${firstLeader.terms}`,
    );
    // Two readings make a rate: the leader's heartbeats to each follower, labelled in msgs/s.
    await expect
      .poll(() => page.locator('g.live-link').count(), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(2);
    expect(await page.locator('g.live-link text.rate-label').first().textContent()).toMatch(
      /^\d+(\.\d)?\/s$/,
    );
    expect(await page.locator('#play').isVisible()).toBe(false);
    expect(await page.locator('#scrubber').isVisible()).toBe(false);
    expect(await page.locator('.log-caption').first().textContent()).toMatch(
      /^log \d+, commit \d+$/,
    );
    await page.screenshot({ path: join(ARTIFACTS, 'viz-live-cluster.png') });
  });

  it('shows a killed leader down and the new leader, in a higher term', async () => {
    await cluster.stop(firstLeader.leaders, 'SIGKILL');
    const killed = memberNode(page, firstLeader.leaders);
    await expect
      .poll(() => killed.getAttribute('data-status'), { timeout: 15_000 })
      .toBe('crashed');
    expect(await killed.getAttribute('data-role')).toBe('down');
    expect(await page.locator('text.live-badge.down').textContent()).toContain('unreachable');
    await expect
      .poll(
        async () => {
          const now = await shown(page);
          return now.leaders !== '' && now.leaders !== firstLeader.leaders;
        },
        { timeout: 30_000 },
      )
      .toBe(true);
    const next = await shown(page);
    expect(Number(next.terms)).toBeGreaterThan(Number(firstLeader.terms));
    expect(await page.textContent('#leader-summary')).toContain('2 of 3 members answering');
    await memberNode(page, next.leaders).click();
    expect(await page.textContent('#node-state')).toContain(`role leader, term ${next.terms}`);
    await page.screenshot({ path: join(ARTIFACTS, 'viz-live-new-leader.png') });
  });

  it('refuses a mistyped endpoint, naming it', async () => {
    await page.fill('#live-endpoints', '127.0.0.1');
    await page.click('#live-connect');
    await expect.poll(() => page.textContent('#banner')).toContain('"127.0.0.1" has no port');
  });

  it('leaves live mode for the simulator, and connects again from the live field', async () => {
    await page.click('#live-leave');
    expect(await page.locator('#play').isVisible()).toBe(true);
    expect(await page.locator('g.live-link').count()).toBe(0);
    expect(new URL(page.url()).searchParams.get('live')).toBeNull();
    await page.fill('#live-endpoints', cluster.httpUrls.join(' '));
    await page.click('#live-connect');
    expect(await page.locator('#play').isVisible()).toBe(false);
    await expect
      .poll(() => page.locator('g.node[data-status="up"]').count(), { timeout: 15_000 })
      .toBe(2);
  });

  it('logged no console errors but the browser noting the killed member refusing', () => {
    const killedUrl = cluster.httpUrls[Number(firstLeader.leaders.slice(1)) - 1]!;
    const unexpected = consoleErrors.filter(
      (message) =>
        !(
          message.text().includes('net::ERR_CONNECTION_REFUSED') &&
          message.location().url.startsWith(killedUrl)
        ),
    );
    expect(unexpected.map((message) => message.text())).toEqual([]);
  });
});
