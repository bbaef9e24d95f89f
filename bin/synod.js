#!/usr/bin/env node
// The package's command: runs the compiled CLI (built by `npm run build`, which `npm ci` runs via `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(
    'synod: the CLI is not built yet; run `npm run build` (npm ci does it for you).\n',
  );
  process.exit(2);
}
await import(entry.href);
