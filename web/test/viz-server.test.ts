import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startVizServer } from '../../src/cli/viz-command.js';

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
