/**
 * How smooth the visualizer is under load: 9 replication nodes, 200 ms links and 5 clients keep
 * about 300 messages in flight. The page plays at 10× and 1×, and the test counts animation
 * frames for a few seconds and prints the frame rate and the 95th percentile frame time. It prints
 * and never asserts a wall-clock figure: the machine is shared and a loaded one is slower.
 * `VIZ_FPS_SECONDS=8 VIZ_FPS_RUNS=3 npx vitest run web/test/viz-fps.browser.test.ts` measures
 * longer and repeats.
 */
import { existsSync } from 'node:fs';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, startViz, type VizServer } from './viz-harness.js';

const runnable = existsSync(CHROMIUM) || process.env['CI'] !== undefined;
const SECONDS = Number(process.env['VIZ_FPS_SECONDS'] ?? 4);
const RUNS = Number(process.env['VIZ_FPS_RUNS'] ?? 1);
const IN_FLIGHT_TARGET = 300;

interface FrameStats {
  readonly frames: number;
  readonly fps: number;
  readonly p95Ms: number;
  readonly maxMs: number;
  /** Frames longer than 1.5 refresh intervals (25 ms): a visible stutter. */
  readonly longFrames: number;
  readonly inFlightMin: number;
  readonly inFlightMax: number;
}

function inFlight(page: Page): Promise<number> {
  return page.evaluate(() => {
    const text = document.querySelector('#leader-summary')?.textContent ?? '';
    return Number(/(\d+) messages in flight/.exec(text)?.[1] ?? 0);
  });
}

/** Counts requestAnimationFrame callbacks in the page for `seconds`, reading the summary too. */
function measure(page: Page, seconds: number): Promise<FrameStats> {
  return page.evaluate(
    (durationMs) =>
      new Promise<FrameStats>((resolve) => {
        const deltas: number[] = [];
        let inFlightMin = Infinity;
        let inFlightMax = 0;
        let start = 0;
        let last = 0;
        const onFrame = (now: number): void => {
          if (start === 0) start = now;
          else deltas.push(now - last);
          last = now;
          const text = document.querySelector('#leader-summary')?.textContent ?? '';
          const count = Number(/(\d+) messages in flight/.exec(text)?.[1] ?? 0);
          inFlightMin = Math.min(inFlightMin, count);
          inFlightMax = Math.max(inFlightMax, count);
          if (now - start < durationMs) requestAnimationFrame(onFrame);
          else {
            const sorted = [...deltas].sort((a, b) => a - b);
            resolve({
              frames: deltas.length,
              fps: (deltas.length * 1000) / (now - start),
              p95Ms: sorted[Math.floor(sorted.length * 0.95)] ?? 0,
              maxMs: sorted[sorted.length - 1] ?? 0,
              longFrames: deltas.filter((delta) => delta > 25).length,
              inFlightMin,
              inFlightMax,
            });
          }
        };
        requestAnimationFrame(onFrame);
      }),
    seconds * 1000,
  );
}

describe.skipIf(!runnable)('visualizer frame rate with hundreds of messages in flight', () => {
  let viz: VizServer;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    viz = await startViz();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    await page.goto(viz.url);
  });

  afterAll(async () => {
    await browser?.close();
    viz?.child.kill('SIGINT');
  });

  it('plays 9 nodes with 300 messages in flight and prints fps and p95 frame time', async () => {
    await page.selectOption('#variant', 'replication/default');
    await page.fill('#nodes', '9');
    await page.fill('#latency', '200');
    await page.fill('#clients', '5');
    await page.selectOption('#nemesis', 'none');
    await page.click('#run');
    await page.locator('#speed').fill('1'); // 10×
    await page.click('#play');
    await expect.poll(() => inFlight(page), { timeout: 60_000 }).toBeGreaterThanOrEqual(280);
    const results: string[] = [];
    for (let run = 1; run <= RUNS; run++)
      for (const [slider, speed] of [
        ['1', '10×'],
        ['0', '1×'],
      ] as const) {
        await page.locator('#speed').fill(slider);
        const stats = await measure(page, SECONDS);
        expect(stats.frames).toBeGreaterThan(0);
        expect(stats.inFlightMax).toBeGreaterThanOrEqual(IN_FLIGHT_TARGET * 0.9);
        results.push(
          `run ${run} at ${speed}: ${stats.fps.toFixed(1)} fps, p95 ${stats.p95Ms.toFixed(1)} ms, ` +
            `max ${stats.maxMs.toFixed(1)} ms, ${stats.longFrames}/${stats.frames} frames over 25 ms, ` +
            `${stats.inFlightMin}–${stats.inFlightMax} messages in flight`,
        );
      }
    await page.click('#play');
    console.log(`visualizer, 9 nodes, ${SECONDS} s per measurement:\n  ${results.join('\n  ')}`);
    expect(consoleErrors).toEqual([]);
  });
});
