/**
 * Runs every benchmark in turn, each in its own process so that one's heap and JIT state do not
 * colour the next:  npm run bench  (or node dist/bench/run-all.js [name ...] to pick some).
 * etcd-compare.js (Synod against etcd 3.4, several minutes) is not a *-bench file and runs only
 * on its own: node dist/bench/etcd-compare.js (see docs/server.md).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((file) => file.endsWith('-bench.js'))
  .map((file) => file.slice(0, -'-bench.js'.length))
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown benchmark ${unknown.join(', ')}; available: ${available.join(', ')}\n`,
  );
  process.exit(2);
}
let failed = 0;
for (const name of wanted.length > 0 ? wanted : available) {
  process.stdout.write(`\n=== ${name} ===\n`);
  const result = spawnSync(process.execPath, [join(here, `${name}-bench.js`)], {
    stdio: 'inherit',
  });
  if (result.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
