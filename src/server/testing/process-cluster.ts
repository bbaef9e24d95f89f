import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Test support: a cluster of real `synod node` processes on 127.0.0.1 with free ports and data in
 * a temporary directory, driven with the real `etcdctl`. Tests start one, use it and `destroy` it.
 * The processes run the built CLI (`npm test` builds first).
 */

export interface ProcessMember {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  /** /health, /metrics and the live state (/synod/v1/state). */
  readonly metricsPort: number;
  readonly dataDir: string;
  process: ChildProcess | undefined;
  log: string;
}

export interface EtcdctlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function packageRoot(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(folder, 'package.json'))) folder = dirname(folder);
  return folder;
}

export const SYNOD_BIN = join(packageRoot(), 'bin', 'synod.js');

export function builtCliExists(): boolean {
  return existsSync(join(packageRoot(), 'dist', 'src', 'cli', 'main.js'));
}

export function etcdctlExists(): boolean {
  return ['/usr/bin/etcdctl', '/usr/local/bin/etcdctl'].some((path) => existsSync(path));
}

/** A port the OS says is free now (bound to 0, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export class ProcessCluster {
  readonly members: ProcessMember[] = [];
  private constructor(
    readonly root: string,
    readonly engine: string,
  ) {}

  static async create(size: number, engine = 'raft'): Promise<ProcessCluster> {
    const cluster = new ProcessCluster(mkdtempSync(join(tmpdir(), 'synod-cluster-')), engine);
    // A port released by freePort may be handed out again at once: no two members' ports may
    // be the same, or one member fails to start with EADDRINUSE.
    const taken = new Set<number>();
    const distinctFreePort = async (): Promise<number> => {
      for (;;) {
        const port = await freePort();
        if (taken.has(port)) continue;
        taken.add(port);
        return port;
      }
    };
    for (let index = 0; index < size; index++) {
      const name = `n${index + 1}`;
      cluster.members.push({
        name,
        clientPort: await distinctFreePort(),
        peerPort: await distinctFreePort(),
        metricsPort: await distinctFreePort(),
        dataDir: join(cluster.root, name),
        process: undefined,
        log: '',
      });
    }
    return cluster;
  }

  /** Each member's HTTP endpoint (live state, metrics), in member order. */
  get httpUrls(): string[] {
    return this.members.map((member) => `http://127.0.0.1:${member.metricsPort}`);
  }

  get endpoints(): string {
    return this.members.map((member) => `127.0.0.1:${member.clientPort}`).join(',');
  }

  member(name: string): ProcessMember {
    const found = this.members.find((member) => member.name === name);
    if (found === undefined) throw new Error(`no member ${name}`);
    return found;
  }

  startAll(): void {
    for (const member of this.members) this.start(member.name);
  }

  start(name: string): void {
    const member = this.member(name);
    const initialCluster = this.members
      .map((each) => `${each.name}=http://127.0.0.1:${each.peerPort}`)
      .join(',');
    member.log = '';
    const child = spawn(
      process.execPath,
      [
        SYNOD_BIN,
        'node',
        '--name',
        member.name,
        '--data-dir',
        member.dataDir,
        '--listen-client-urls',
        `http://127.0.0.1:${member.clientPort}`,
        '--listen-peer-urls',
        `http://127.0.0.1:${member.peerPort}`,
        '--listen-metrics-urls',
        `http://127.0.0.1:${member.metricsPort}`,
        '--initial-cluster',
        initialCluster,
        '--initial-cluster-token',
        'synod-test',
        '--engine',
        this.engine,
        // Twice the default tick: the test suite shares two cores with other test files, and a
        // member starved for 150 ms would otherwise start needless elections mid-test.
        '--tick-ms',
        '20',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.on('data', (chunk: Buffer) => (member.log += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (member.log += chunk.toString()));
    member.process = child;
  }

  /** Sends `signal` and waits for the process to exit. */
  async stop(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const member = this.member(name);
    const child = member.process;
    member.process = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  async stopAll(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await Promise.all(this.members.map((member) => this.stop(member.name, signal)));
  }

  async destroy(): Promise<void> {
    await this.stopAll('SIGKILL');
    rmSync(this.root, { recursive: true, force: true });
  }

  /** Runs etcdctl (API v3) against `endpoints` (default: every member). */
  etcdctl(
    args: readonly string[],
    endpoints = this.endpoints,
    input?: string,
  ): Promise<EtcdctlResult> {
    return etcdctl(['--endpoints', endpoints, '--command-timeout=8s', ...args], input);
  }

  /** A long-running etcdctl (watch, lock, elect): its output so far, and a way to stop it. */
  spawnEtcdctl(args: readonly string[]): {
    output: () => string;
    kill: (signal?: NodeJS.Signals) => void;
  } {
    const child = spawn('etcdctl', ['--endpoints', this.endpoints, ...args], {
      env: { ...process.env, ETCDCTL_API: '3' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    return { output: () => output, kill: (signal = 'SIGKILL') => void child.kill(signal) };
  }

  /** The leader's name, from `endpoint status` of the given members; undefined if none agrees. */
  async leader(names = this.members.map((member) => member.name)): Promise<string | undefined> {
    const endpoints = names.map((name) => `127.0.0.1:${this.member(name).clientPort}`).join(',');
    const result = await this.etcdctl(['endpoint', 'status', '-w', 'json'], endpoints);
    if (result.code !== 0) return undefined;
    const statuses = JSON.parse(result.stdout) as {
      Status: { header: { member_id: number }; leader: number };
    }[];
    const leaders = statuses.filter(
      (status) => status.Status.leader === status.Status.header.member_id,
    );
    if (leaders.length !== 1) return undefined;
    const leaderEndpoint = (leaders[0] as unknown as { Endpoint: string }).Endpoint;
    return this.members.find((member) => leaderEndpoint.endsWith(`:${member.clientPort}`))?.name;
  }

  /** Waits until the given members agree on a leader and answer a linearizable read. */
  async waitReady(
    names = this.members.map((member) => member.name),
    timeoutMs = 20_000,
  ): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const leader = await this.leader(names);
      if (leader !== undefined) {
        const endpoints = names
          .map((name) => `127.0.0.1:${this.member(name).clientPort}`)
          .join(',');
        const health = await this.etcdctl(['endpoint', 'health'], endpoints);
        if (health.code === 0) return leader;
      }
      if (Date.now() > deadline)
        throw new Error(
          `cluster not ready:\n${this.members.map((m) => `--- ${m.name}\n${m.log}`).join('\n')}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

export function etcdctl(args: readonly string[], input?: string): Promise<EtcdctlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      'etcdctl',
      [...args],
      { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

export async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
}
