import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { describe, expect, test } from 'vitest';
import { registerCheckCommand } from './check-command.js';
import { EXIT, memoryIo } from './io.js';

const fixtures = fileURLToPath(new URL('../check/fixtures/', import.meta.url));
const fixture = (name: string) => join(fixtures, name);

/** Runs `synod check ARGS` in process, the way the real program wires commands. */
async function check(...argv: string[]) {
  const io = memoryIo();
  const program = new Command('synod').exitOverride().configureOutput({
    writeOut: (text) => io.out(text),
    writeErr: (text) => io.err(text),
  });
  registerCheckCommand(program, io)
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) });
  try {
    await program.parseAsync(['check', ...argv], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    io.setExitCode(error.exitCode === 0 ? EXIT.ok : EXIT.usage);
  }
  return io;
}

describe('synod check (in process)', () => {
  test('a linearizable Jepsen log: one verdict line, exit 0', async () => {
    const file = fixture('etcd-linearizable.log');
    const io = await check(file);
    expect(io.stdout).toBe(`${file}: linearizable\n`);
    expect(io.exitCode).toBe(0);
  });

  test('a violation prints the explanation, indented, and exits 1', async () => {
    const file = fixture('etcd-stale-read.log');
    const io = await check('--model', 'cas-register', file);
    const lines = io.stdout.split('\n');
    expect(lines[0]).toBe(`${file}: not linearizable`);
    expect(lines.slice(1, -1).every((line) => line.startsWith('    '))).toBe(true);
    expect(io.stdout).toContain('process 0  read -> 1');
    expect(io.exitCode).toBe(EXIT.violation);
  });

  test('several files in one run, one verdict line each; a violation wins over success', async () => {
    const good = fixture('etcd-cas-fail-explainable.log');
    const bad = fixture('etcd-cas-fail-unexplainable.log');
    const io = await check(good, bad);
    expect(io.stdout.split('\n').filter((line) => !line.startsWith(' '))).toEqual([
      `${good}: linearizable`,
      `${bad}: not linearizable`,
      '',
    ]);
    expect(io.exitCode).toBe(EXIT.violation);
  });

  test('a history that does not fit the chosen model is an input error, which wins', async () => {
    const io = await check('--model', 'kv', fixture('etcd-cas-fail-unexplainable.log'));
    expect(io.stderr).toMatch(
      /etcd-cas-fail-unexplainable\.log, line 1: write needs a "key" in the kv model/,
    );
    expect(io.exitCode).toBe(EXIT.usage);
  });

  test('the default model: cas-register for Jepsen, inferred for JSON', async () => {
    const io = await check(
      fixture('etcd-cas-fail-explainable.log'),
      fixture('etcd-cas-fail-unexplainable.log'),
      fixture('kv-lost-increment.json'),
      fixture('kv-linearizable.jsonl'),
      fixture('cas-register-linearizable.json'),
      '--json',
    );
    const results = io.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(results.map(({ verdict, model }) => [verdict, model])).toEqual([
      ['linearizable', 'cas-register'],
      ['not linearizable', 'cas-register'],
      ['not linearizable', 'kv'],
      ['linearizable', 'kv'],
      ['linearizable', 'cas-register'],
    ]);
    expect(results[2]).toMatchObject({ file: fixture('kv-lost-increment.json'), operations: 4 });
    expect(results[2]?.violation).toMatchObject({ key: 'counter', stuck: { f: 'inc' } });
    expect(typeof results[0]?.ms).toBe('number');
    expect(io.exitCode).toBe(EXIT.violation);
  });

  test('a budget that runs out gives unknown and exit 3', async () => {
    const io = await check('--max-steps', '5', fixture('etcd-linearizable.log'));
    expect(io.stdout).toMatch(/: unknown\n {4}the search used its 5 steps/);
    expect(io.exitCode).toBe(EXIT.unknown);
  });

  test('a violation wins over unknown', async () => {
    const io = await check(
      '--max-steps',
      '40',
      fixture('etcd-linearizable.log'),
      fixture('etcd-cas-fail-unexplainable.log'),
    );
    expect(io.exitCode).toBe(EXIT.violation);
  });

  test('invalid input names the file and line, without a stack trace, and exits 2', async () => {
    for (const [name, message] of [
      ['bad-syntax-json.txt', /bad-syntax-json\.txt, line 3: invalid JSON/],
      ['bad-event.jsonl', /bad-event\.jsonl, line 2: "type" must be one of/],
      ['bad-order.log', /bad-order\.log, line 2: process 1 completes write/],
    ] as const) {
      const io = await check(fixture(name));
      expect(io.stdout).toBe(`${fixture(name)}: error\n`);
      expect(io.stderr).toMatch(message);
      expect(io.stderr).not.toMatch(/\n\s+at /);
      expect(io.exitCode).toBe(EXIT.usage);
    }
  });

  test('a model mismatch found by the checker names the line of the event', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synod-check-'));
    const file = join(dir, 'h.jsonl');
    writeFileSync(
      file,
      '{"process":0,"type":"invoke","f":"get","key":"a"}\n{"process":0,"type":"ok","f":"get","key":"a","value":null}\n\n{"process":1,"type":"invoke","f":"put","key":"a","value":7}\n',
    );
    const io = await check(file);
    expect(io.stderr).toBe(`synod check: ${file}, line 4: put needs a string value, got 7\n`);
  });

  test('a missing file is reported and the others still checked', async () => {
    const io = await check('/nonexistent/h.json', fixture('etcd-linearizable.log'));
    expect(io.stderr).toBe(
      'synod check: /nonexistent/h.json: cannot read the file: no such file\n',
    );
    expect(io.stdout).toMatch(/etcd-linearizable\.log: linearizable/);
    expect(io.exitCode).toBe(EXIT.usage);
  });

  test('bad usage exits 2', async () => {
    expect((await check()).exitCode).toBe(EXIT.usage);
    expect((await check('--model', 'queue', 'h.json')).exitCode).toBe(EXIT.usage);
    expect((await check('--timeout', 'soon', 'h.json')).exitCode).toBe(EXIT.usage);
  });

  test('--help explains formats, models, exit codes, with examples', async () => {
    const io = await check('--help');
    expect(io.exitCode).toBe(0);
    for (const text of ['jepsen-log', 'cas-register', 'Exit status', 'Examples', '--timeout'])
      expect(io.stdout).toContain(text);
  });
});

// End to end through the built CLI, once the lead has wired `check` into the program.
const cli = fileURLToPath(new URL('../../bin/synod.js', import.meta.url));
const built = fileURLToPath(new URL('../../dist/src/cli/check-command.js', import.meta.url));
const wired =
  existsSync(built) &&
  spawnSync('node', [cli, 'check', '--help'], { encoding: 'utf8' }).stdout.includes('jepsen-log');

describe.skipIf(!wired)('synod check (built CLI)', () => {
  test('exit codes and output of the real process', () => {
    const good = spawnSync('node', [cli, 'check', fixture('etcd-linearizable.log')], {
      encoding: 'utf8',
    });
    expect(good.stdout).toBe(`${fixture('etcd-linearizable.log')}: linearizable\n`);
    expect(good.status).toBe(0);
    const bad = spawnSync('node', [cli, 'check', fixture('etcd-stale-read.log')], {
      encoding: 'utf8',
    });
    expect(bad.status).toBe(1);
    const invalid = spawnSync('node', [cli, 'check', fixture('bad-event.jsonl')], {
      encoding: 'utf8',
    });
    expect(invalid.status).toBe(2);
    expect(invalid.stderr).toMatch(/line 2/);
    expect(invalid.stderr).not.toMatch(/\n\s+at /);
  });
});
