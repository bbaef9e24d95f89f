import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryIo } from './io.js';
import { runCli } from './program.js';

async function run(...argv: string[]) {
  const io = memoryIo();
  await runCli(argv, io);
  return io;
}

const temp = () => mkdtempSync(join(tmpdir(), 'synod-cli-'));

describe('synod (in process)', () => {
  it('lists every variant, safe defaults first, as JSON', async () => {
    const io = await run('variants', '--json');
    const variants = JSON.parse(io.stdout) as {
      protocol: string;
      variant: string;
      unsafe: boolean;
    }[];
    const protocols = [...new Set(variants.map((entry) => entry.protocol))];
    for (const protocol of protocols) {
      const own = variants.filter((entry) => entry.protocol === protocol);
      expect(own[0]).toMatchObject({ variant: 'default', unsafe: false });
    }
    expect(variants.some((entry) => entry.unsafe)).toBe(true);
  });

  it('runs one simulation and reports the checkers', async () => {
    const io = await run('sim', '--protocol', 'fixed-leader', '--seed', '4', '--duration', '2s');
    expect(io.exitCode).toBe(0);
    expect(io.stdout).toMatch(/invariants: held after every event/);
    expect(io.stdout).toMatch(/linearizability: linearizable/);
  });

  it('finds a violation in an unsafe variant and prints the command that replays it', async () => {
    const io = await run(
      'sim',
      '--protocol',
      'fixed-leader',
      '--variant',
      'ack-before-sync',
      '--seeds',
      '1..300',
      '--json',
    );
    expect(io.exitCode).toBe(1);
    const summary = JSON.parse(io.stdout.trim().split('\n').at(-1) as string) as {
      violations: number;
      firstFailingSeed: number;
      replay: string;
    };
    expect(summary.violations).toBe(1);
    expect(summary.replay).toContain(`--seed ${summary.firstFailingSeed}`);
    const replay = await run(
      'sim',
      '--protocol',
      'fixed-leader',
      '--variant',
      'ack-before-sync',
      '--seed',
      String(summary.firstFailingSeed),
    );
    expect(replay.exitCode).toBe(1);
    expect(replay.stdout).toMatch(/VIOLATION/);
  });

  it('writes a trace whose header names the seed, and the same seed writes the same bytes', async () => {
    const dir = temp();
    const a = join(dir, 'a.jsonl');
    const b = join(dir, 'b.jsonl');
    await run('sim', '--protocol', 'paxos', '--seed', '9', '--trace', a);
    await run('sim', '--protocol', 'paxos', '--seed', '9', '--trace', b);
    const header = JSON.parse(readFileSync(a, 'utf8').split('\n')[0] as string) as {
      type: string;
      seed: number;
    };
    expect(header).toMatchObject({ type: 'header', seed: 9 });
    expect(readFileSync(a)).toEqual(readFileSync(b));
  });

  it('reads a scenario file, and names the field that is wrong in a bad one', async () => {
    const dir = temp();
    const good = join(dir, 'good.json');
    writeFileSync(
      good,
      JSON.stringify({ protocol: 'fixed-leader', nodes: 3, durationUs: 1_000_000, seed: 2 }),
    );
    expect((await run('sim', '--scenario', good)).exitCode).toBe(0);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ protocol: 'fixed-leader', nodes: 'three' }));
    const io = await run('sim', '--scenario', bad);
    expect(io.exitCode).toBe(2);
    expect(io.stderr).toMatch(/nodes/);
    expect(io.stderr).not.toMatch(/at .*\.js/); // no stack trace
  });

  it('refuses bad usage with exit status 2 and a plain message', async () => {
    for (const argv of [
      ['sim'],
      ['sim', '--protocol', 'no-such-protocol'],
      ['sim', '--protocol', 'paxos', '--variant', 'nope'],
      ['sim', '--protocol', 'paxos', '--seeds', '9..3'],
      ['sim', '--protocol', 'paxos', '--seed', '-1'],
      ['sim', '--protocol', 'paxos', '--nemesis', 'earthquake'],
      ['sim', '--protocol', 'paxos', '--duration', 'soon'],
      ['sim', '--protocol', 'paxos', '--seed', '1', '--seeds', '1..2'],
      ['sim', '--scenario', '/nonexistent/scenario.json'],
      ['no-such-command'],
      ['viz', '--live', '127.0.0.1:2381'],
      ['viz', '--live', 'http://127.0.0.1:2381/metrics'],
      ['viz', '--port', '8080x'],
      ['cluster', '--viz-port', '99999'],
    ]) {
      const io = await run(...argv);
      expect(io.exitCode, argv.join(' ')).toBe(2);
      expect(io.stderr.length, argv.join(' ')).toBeGreaterThan(0);
      expect(io.stderr, argv.join(' ')).not.toMatch(/\n\s+at /);
    }
  });

  it('lists the guided tours and plays one to its end', async () => {
    const list = await run('scenario', 'list', '--json');
    const tours = JSON.parse(list.stdout) as { name: string; steps: number }[];
    expect(tours.length).toBeGreaterThan(0);
    const played = await run('scenario', 'run', tours[0]!.name);
    expect(played.exitCode).toBe(0);
    expect(played.stdout).toMatch(/Every expectation of the tour held/);
    expect((await run('scenario', 'run', 'no-such-tour')).exitCode).toBe(2);
  });

  it('narrates a demo that ends with the checkers catching an unsafe variant', async () => {
    const io = await run('demo');
    expect(io.exitCode).toBe(0);
    expect(io.stdout).toMatch(/becomes leader/);
    expect(io.stdout).toMatch(/linearizability checker: linearizable/);
    expect(io.stdout).toMatch(/VIOLATED|not linearizable/);
    expect(io.stdout).toMatch(/replay it exactly: npx synod sim .* --seed \d+/);
  });
});

describe('synod (the built command, as a user runs it)', () => {
  const bin = join(import.meta.dirname, '..', '..', 'bin', 'synod.js');

  it('prints help listing its commands', () => {
    const help = execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    for (const command of ['sim', 'variants', 'demo', 'check', 'scenario']) {
      expect(help).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    }
  });

  it('exits 2 with a message and no stack trace on bad usage', () => {
    const result = spawnSync(process.execPath, [bin, 'sim', '--protocol', 'nope'], {
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/unknown protocol|must be one of/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
