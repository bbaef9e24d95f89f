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
  /** Changes when a test moves the member (`etcdctl member update`). */
  peerPort: number;
  /** /health, /metrics and the live state (/synod/v1/state). */
  readonly metricsPort: number;
  readonly dataDir: string;
  process: ChildProcess | undefined;
  log: string;
  /** For a member added to the running cluster: the ETCD_INITIAL_CLUSTER etcdctl printed. */
  joinCluster?: string;
  /** How the last process exited (code, or null when killed by a signal); undefined while running. */
  exitCode?: number | null;
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

/**
 * Ports for tests come from a block of 1,000 that belongs to this vitest worker, handed out in
 * turn, each checked free by binding it. Asking the OS for port 0 twice can return the same port
 * twice (it was released in between), and two workers asking at once can get the same one: a
 * member then fails with EADDRINUSE, or two members share a peer URL. The blocks sit between
 * 23000 and 32000, below Linux's ephemeral range (where outgoing connections take their source
 * ports) and clear of the local cluster's 2379, 22379 and 32379.
 */
const PORT_BLOCK = 1_000;
const PORT_BLOCKS = 9;
const PORT_BASE = 23_000;
const workerBlock = (Number(process.env['VITEST_POOL_ID'] ?? '0') || 0) % PORT_BLOCKS;
let nextPortOffset = Math.floor(Math.random() * PORT_BLOCK);

export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port free now, never handed out before by this worker's last thousand calls. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < PORT_BLOCK; tries++) {
    const port = PORT_BASE + workerBlock * PORT_BLOCK + (nextPortOffset++ % PORT_BLOCK);
    if (await portIsFree(port)) return port;
  }
  throw new Error(`no free port in ${PORT_BASE + workerBlock * PORT_BLOCK}+${PORT_BLOCK}`);
}

/** TLS for a test cluster: URL schemes, each member's certificate flags, etcdctl's. */
export interface ProcessClusterTls {
  readonly clientScheme: 'http' | 'https';
  readonly peerScheme: 'http' | 'https';
  /** Extra `synod node` flags for a member (its certificates). */
  readonly memberArgs: (name: string) => readonly string[];
  /** etcdctl's --cacert, --cert and --key. */
  readonly etcdctlArgs: readonly string[];
}

const PLAIN: ProcessClusterTls = {
  clientScheme: 'http',
  peerScheme: 'http',
  memberArgs: () => [],
  etcdctlArgs: [],
};

/** How `ProcessCluster.create` sets its members up. */
export interface ProcessClusterOptions {
  /** More `synod node` flags for every member. */
  readonly extraArgs?: readonly string[];
  readonly tls?: ProcessClusterTls;
  /** The folder holding the members' data directories; a new temporary one by default. */
  readonly root?: string;
}

export class ProcessCluster {
  readonly members: ProcessMember[] = [];
  private readonly takenPorts = new Set<number>();
  /** `--election-timeout` of every member; tests that load the cluster hard may raise it. */
  electionTimeoutMs = '300';

  private constructor(
    readonly root: string,
    readonly engine: string,
    /** More `synod node` flags for every member. */
    readonly extraArgs: readonly string[],
    readonly tls: ProcessClusterTls,
  ) {}

  static async create(
    size: number,
    engine = 'raft',
    options: ProcessClusterOptions = {},
  ): Promise<ProcessCluster> {
    const root = options.root ?? mkdtempSync(join(tmpdir(), 'synod-cluster-'));
    const cluster = new ProcessCluster(root, engine, options.extraArgs ?? [], options.tls ?? PLAIN);
    for (let index = 0; index < size; index++) {
      const name = `n${index + 1}`;
      cluster.members.push({
        name,
        clientPort: await cluster.distinctFreePort(),
        peerPort: await cluster.distinctFreePort(),
        metricsPort: await cluster.distinctFreePort(),
        dataDir: join(cluster.root, name),
        process: undefined,
        log: '',
      });
    }
    return cluster;
  }

  /** A cluster created, every member started, and a leader elected. */
  static async launch(
    size: number,
    engine = 'raft',
    options: ProcessClusterOptions = {},
  ): Promise<ProcessCluster> {
    const cluster = await ProcessCluster.create(size, engine, options);
    cluster.startAll();
    await cluster.waitReady();
    return cluster;
  }

  /**
   * No two members' ports may be the same, or one member fails to start with EADDRINUSE; freePort
   * hands a port out again after a thousand calls, which a long test may make.
   */
  async distinctFreePort(): Promise<number> {
    for (;;) {
      const port = await freePort();
      if (this.takenPorts.has(port)) continue;
      this.takenPorts.add(port);
      return port;
    }
  }

  /** Each member's HTTP endpoint (live state, metrics), in member order. */
  get httpUrls(): string[] {
    return this.members.map((member) => `http://127.0.0.1:${member.metricsPort}`);
  }

  get endpoints(): string {
    return this.endpointsOf(this.members.map((member) => member.name));
  }

  /** Client endpoints for etcdctl; https ones carry the scheme so etcdctl dials TLS. */
  endpointsOf(names: readonly string[]): string {
    const scheme = this.tls.clientScheme === 'https' ? 'https://' : '';
    return names.map((name) => `${scheme}127.0.0.1:${this.member(name).clientPort}`).join(',');
  }

  /** A new member with free ports, to be added with `etcdctl member add` and started with `join`. */
  async newMember(name: string): Promise<ProcessMember> {
    const member: ProcessMember = {
      name,
      clientPort: await this.distinctFreePort(),
      peerPort: await this.distinctFreePort(),
      metricsPort: await this.distinctFreePort(),
      dataDir: join(this.root, name),
      process: undefined,
      log: '',
    };
    this.members.push(member);
    return member;
  }

  /** Starts an added member with `--initial-cluster-state existing`. */
  join(name: string, initialCluster: string): void {
    this.member(name).joinCluster = initialCluster;
    this.start(name);
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
    const initialCluster =
      member.joinCluster ??
      this.members
        .filter((each) => each.joinCluster === undefined)
        .map((each) => `${each.name}=${this.tls.peerScheme}://127.0.0.1:${each.peerPort}`)
        .join(',');
    member.log = '';
    member.exitCode = undefined;
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
        `${this.tls.clientScheme}://127.0.0.1:${member.clientPort}`,
        '--listen-peer-urls',
        `${this.tls.peerScheme}://127.0.0.1:${member.peerPort}`,
        ...this.tls.memberArgs(member.name),
        '--listen-metrics-urls',
        `http://127.0.0.1:${member.metricsPort}`,
        '--initial-cluster',
        initialCluster,
        '--initial-cluster-token',
        'synod-test',
        '--initial-cluster-state',
        member.joinCluster === undefined ? 'new' : 'existing',
        '--engine',
        this.engine,
        // Elections after 300-600 ms rather than etcd's 1-2 s keep failover tests short; the tick
        // is twice the default so a member's timers are not serviced needlessly often.
        '--tick-ms',
        '20',
        '--heartbeat-interval',
        '60',
        '--election-timeout',
        this.electionTimeoutMs,
        ...this.extraArgs,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.on('data', (chunk: Buffer) => (member.log += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (member.log += chunk.toString()));
    child.on('exit', (code) => (member.exitCode = code));
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

  /** Waits for the member's process to exit on its own; its exit code (null: a signal). */
  async exited(name: string, timeoutMs: number): Promise<number | null> {
    const member = this.member(name);
    await waitUntil(() => member.exitCode !== undefined, timeoutMs);
    if (member.exitCode === undefined) throw new Error(`${name} did not exit:\n${member.log}`);
    member.process = undefined;
    return member.exitCode;
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
    return etcdctl(
      ['--endpoints', endpoints, '--command-timeout=8s', ...this.tls.etcdctlArgs, ...args],
      input,
    );
  }

  /** A long-running etcdctl (watch, lock, elect): its output so far, and a way to stop it. */
  spawnEtcdctl(args: readonly string[]): {
    output: () => string;
    kill: (signal?: NodeJS.Signals) => void;
  } {
    const child = spawn(
      'etcdctl',
      ['--endpoints', this.endpoints, ...this.tls.etcdctlArgs, ...args],
      {
        env: { ...process.env, ETCDCTL_API: '3' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    return { output: () => output, kill: (signal = 'SIGKILL') => void child.kill(signal) };
  }

  /** The leader's name, from `endpoint status` of the given members; undefined if none agrees. */
  async leader(names = this.members.map((member) => member.name)): Promise<string | undefined> {
    const endpoints = this.endpointsOf(names);
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

  /**
   * Waits until the given members agree on a leader and answer a linearizable read. With auth on,
   * `user` (etcdctl's `name:password`) makes the read: an anonymous one is refused.
   */
  async waitReady(
    names = this.members.map((member) => member.name),
    timeoutMs = 20_000,
    user?: string,
  ): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const leader = await this.leader(names);
      if (leader !== undefined) {
        const endpoints = this.endpointsOf(names);
        const credentials = user === undefined ? [] : ['--user', user];
        const health = await this.etcdctl([...credentials, 'endpoint', 'health'], endpoints);
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

export function etcdctl(
  args: readonly string[],
  input?: string,
  timeoutMs = 30_000,
): Promise<EtcdctlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      'etcdctl',
      [...args],
      {
        env: { ...process.env, ETCDCTL_API: '3' },
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
      },
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
