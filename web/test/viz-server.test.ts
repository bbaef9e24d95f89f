import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  liveVizUrl,
  parseLiveEndpoints,
  portOption,
  startVizServer,
} from '../../src/cli/viz-command.js';

function builtApp(): string {
  const root = mkdtempSync(join(tmpdir(), 'synod-viz-root-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>viz</title>');
  writeFileSync(join(root, 'assets', 'app.js'), 'export {};');
  return root;
}

describe('synod viz: the static server', () => {
  it('serves the built app with content types, and nothing outside it', async () => {
    const server = await startVizServer({ root: builtApp(), port: 0, host: '127.0.0.1' });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const index = await fetch(server.url);
      expect(index.status).toBe(200);
      expect(index.headers.get('content-type')).toContain('text/html');
      const script = await fetch(new URL('assets/app.js', server.url));
      expect(script.headers.get('content-type')).toContain('text/javascript');
      expect((await fetch(new URL('missing.js', server.url))).status).toBe(404);
      expect((await fetch(new URL('/%2e%2e/%2e%2e/etc/passwd', server.url))).status).toBe(404);
      expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.close();
    }
  });

  it('says to build first when the app is not built', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'synod-viz-empty-'));
    await expect(startVizServer({ root: empty, port: 0, host: '127.0.0.1' })).rejects.toThrow(
      /npm run build/,
    );
  });

  it('names the address when the port is taken', async () => {
    const root = builtApp();
    const first = await startVizServer({ root, port: 0, host: '127.0.0.1' });
    try {
      const port = Number(new URL(first.url).port);
      await expect(startVizServer({ root, port, host: '127.0.0.1' })).rejects.toThrow(
        new RegExp(`127\\.0\\.0\\.1:${port}.*--port`),
      );
    } finally {
      await first.close();
    }
  });
});

describe('synod viz --live and --port', () => {
  it("takes the members' metrics URLs as origins, and builds the live URL from them", () => {
    const endpoints = parseLiveEndpoints('http://127.0.0.1:2381/, http://[::1]:22381');
    expect(endpoints).toEqual(['http://127.0.0.1:2381', 'http://[::1]:22381']);
    expect(liveVizUrl('http://127.0.0.1:8080/', endpoints)).toBe(
      'http://127.0.0.1:8080/?live=http://127.0.0.1:2381,http://[::1]:22381',
    );
  });

  it.each([
    ['', 'at least one URL'],
    ['127.0.0.1:2381', 'expected http://host:port'],
    ['http://127.0.0.1', 'a port is required'],
    ['http://127.0.0.1:2381/synod/v1/state', 'no path'],
    [Array.from({ length: 10 }, (_, i) => `http://h:${i + 1}`).join(','), 'at most 9'],
  ])('refuses --live %j: %s', (text, message) => {
    expect(() => parseLiveEndpoints(text)).toThrow(message);
  });

  it('takes a port from 0 to 65535, naming the flag otherwise', () => {
    expect(portOption('--viz-port', '0')).toBe(0);
    expect(portOption('--viz-port', '65535')).toBe(65_535);
    for (const text of ['65536', '-1', '80.5', '', 'http'])
      expect(() => portOption('--viz-port', text)).toThrow(/--viz-port must be an integer/);
  });
});
