import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { SynodError } from '../core/errors.js';
import type { NodeFlags } from '../server/config.js';
import { MAX_REQUEST_BYTES_DEFAULT, parseNodeFlags } from '../server/config.js';
import { SERVER_ENGINES } from '../server/engines.js';
import { MAX_TXN_OPS_DEFAULT } from '../storage/mvcc/index.js';
import { EtcdServer } from '../server/etcd-server.js';
import { createLogger, isLogLevel } from '../server/logger.js';
import { EXIT, type CliIo } from './io.js';
import { packageRoot } from './package-root.js';
import { type VizServer, liveVizUrl, portOption, startVizServer, vizRoot } from './viz-command.js';

interface NodeCommandOptions extends NodeFlags {
  readonly logLevel?: string;
}

interface ClusterCommandOptions {
  readonly nodes: string;
  readonly dataDir: string;
  readonly basePort: string;
  readonly engine: string;
  readonly logLevel: string;
  readonly vizPort: string;
  /** False with --no-viz. */
  readonly viz: boolean;
}

/** Set by synod cluster for its members: stop when the parent's stdin pipe closes. */
const EXIT_WITH_PARENT_ENV = 'SYNOD_EXIT_WITH_PARENT';

const ENGINE_NAMES = SERVER_ENGINES.map((engine) => engine.name).join(', ');

export function registerServerCommands(program: Command, io: CliIo): void {
  program
    .command('node')
    .description("run one member of an etcd-compatible cluster (flags named as etcd's)")
    .option('--name <name>', "this member's name in --initial-cluster", 'default')
    .option(
      '--data-dir <dir>',
      'where this member keeps its WAL and snapshots (default: <name>.synod)',
    )
    .option(
      '--listen-client-urls <urls>',
      'where to serve the etcd v3 gRPC API',
      'http://127.0.0.1:2379',
    )
    .option(
      '--advertise-client-urls <urls>',
      'client URLs other members list (default: --listen-client-urls)',
    )
    .option(
      '--listen-peer-urls <urls>',
      'where to accept peer connections',
      'http://127.0.0.1:2380',
    )
    .option('--listen-metrics-urls <urls>', 'serve /health, /version and /metrics over HTTP here')
    .option(
      '--initial-advertise-peer-urls <urls>',
      "this member's peer URLs in --initial-cluster (default: --listen-peer-urls)",
    )
    .option('--initial-cluster <list>', 'every member as name=peerURL, comma-separated')
    .option(
      '--initial-cluster-state <state>',
      '"new" (bootstrap) or "existing" (join a running cluster after etcdctl member add)',
      'new',
    )
    .option(
      '--initial-cluster-token <token>',
      'cluster token: part of the cluster id peers check',
      'etcd-cluster',
    )
    .option('--engine <name>', `replicated-log engine (${ENGINE_NAMES})`, 'raft')
    .option('--tick-ms <ms>', 'real time per engine tick (the engines count time in ticks)', '10')
    .option('--heartbeat-interval <ms>', "how often the leader heartbeats (etcd's default)", '100')
    .option(
      '--election-timeout <ms>',
      "a follower campaigns after this long (to twice it) without a leader (etcd's default)",
      '1000',
    )
    .option(
      '--request-timeout-ms <ms>',
      'how long a request waits before "request timed out"',
      '3000',
    )
    .option(
      '--snapshot-count <n>',
      'applied entries between snapshots (the log is compacted behind each)',
      '100000',
    )
    .option(
      '--max-request-bytes <n>',
      "a request's keys, values and other fields at most (etcd's flag and default)",
      String(MAX_REQUEST_BYTES_DEFAULT),
    )
    .option(
      '--max-txn-ops <n>',
      "operations in one branch of a Txn at most (etcd's)",
      String(MAX_TXN_OPS_DEFAULT),
    )
    .option('--cert-file <path>', 'client port TLS certificate (PEM), for https client URLs')
    .option('--key-file <path>', 'client port TLS private key (PEM)')
    .option('--trusted-ca-file <path>', 'CA bundle (PEM) that client certificates must chain to')
    .option(
      '--client-cert-auth [bool]',
      'refuse clients without a certificate from --trusted-ca-file',
    )
    .option('--peer-cert-file <path>', 'peer TLS certificate (PEM), for https peer URLs')
    .option('--peer-key-file <path>', 'peer TLS private key (PEM)')
    .option('--peer-trusted-ca-file <path>', 'CA bundle (PEM) that peer certificates must chain to')
    .option(
      '--auth-token <spec>',
      "simple, or jwt,pub-key=PATH,priv-key=PATH,sign-method=RS256|ES256|…[,ttl=5m] (etcd's)",
      'simple',
    )
    .option(
      '--auto-tls [bool]',
      'https client URLs without --cert-file: make a self-signed certificate',
    )
    .option(
      '--peer-auto-tls [bool]',
      'https peer URLs without --peer-cert-file: self-signed, unverified',
    )
    .option('--peer-client-cert-auth [bool]', 'refuse peers without a certificate from the peer CA')
    .option(
      '--strict-reconfig-check [bool]',
      "refuse member changes that would leave too few started members (etcd's; default true)",
    )
    .option(
      '--auto-compaction-mode <mode>',
      'periodic (keep --auto-compaction-retention of time) or revision (keep that many revisions)',
      'periodic',
    )
    .option(
      '--auto-compaction-retention <retention>',
      'history to keep: hours or a duration such as 30m (periodic), revisions (revision); 0: off',
      '0',
    )
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .action((options: NodeCommandOptions) => runNode(io, options));
  program
    .command('cluster')
    .description('start a local etcd-compatible cluster as child processes (Ctrl-C stops it)')
    .option('--nodes <n>', 'number of members (1-6)', '3')
    .option('--data-dir <dir>', "one directory holding every member's data", './synod-data')
    .option('--base-port <port>', 'client port of the first member (peer: +1, metrics: +2)', '2379')
    .option('--engine <name>', `replicated-log engine (${ENGINE_NAMES})`, 'raft')
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .option(
      '--viz-port <port>',
      'serve the visualizer, live on this cluster, at 127.0.0.1:<port> (0: any free port)',
      '8080',
    )
    .option('--no-viz', 'do not serve the visualizer')
    .action((options: ClusterCommandOptions) => runCluster(io, options));
}

function logLevelOf(text: string | undefined): 'debug' | 'info' | 'warn' | 'error' {
  const level = text ?? 'info';
  if (!isLogLevel(level))
    throw new SynodError(
      'SERVER_BAD_FLAG',
      `--log-level must be debug, info, warn or error, got "${level}"`,
    );
  return level;
}

async function runNode(io: CliIo, options: NodeCommandOptions): Promise<void> {
  const config = parseNodeFlags(options);
  const logger = createLogger({ level: logLevelOf(options.logLevel) }, { member: config.name });
  for (const warning of config.warnings) logger.warn(warning);
  let server: EtcdServer;
  try {
    server = await EtcdServer.start(config, {
      logger,
      onFatal: (error) => {
        logger.error('fatal: the member stops; restart it to recover from its data directory', {
          error,
        });
        process.exit(1);
      },
      // etcd exits non-zero too: a supervisor must not restart a removed member into the cluster.
      onRemoved: () => process.exit(1),
    });
  } catch (error) {
    if (error instanceof SynodError) throw error;
    throw new SynodError(
      'SERVER_START_FAILED',
      `could not start ${config.name}: ${(error as Error).message}`,
    );
  }
  logger.info('serving client requests', {
    client: config.listenClient
      .map(
        ({ host }, index) =>
          `${config.clientTls === undefined ? 'http' : 'https'}://${host}:${server.clientPorts[index]}`,
      )
      .join(','),
    peer: config.listenPeer
      .map(
        ({ host, port }) => `${config.peerTls === undefined ? 'http' : 'https'}://${host}:${port}`,
      )
      .join(','),
    engine: config.engine,
    dataDir: resolve(config.dataDir),
  });
  await new Promise<void>((done) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return; // Ctrl-C reaches a member twice under synod cluster: the tty and the parent
      stopping = true;
      logger.info('stopping', { signal });
      server.stop().then(done, (error: unknown) => {
        logger.error('error while stopping', { error });
        done();
      });
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    // Under synod cluster, stdin is a pipe from the parent: when it closes, the parent is gone
    // (even killed with SIGKILL), and a member must not outlive it holding ports and data.
    if (process.env[EXIT_WITH_PARENT_ENV] === '1') {
      process.stdin.on('close', () => stop('parent exited'));
      process.stdin.on('end', () => stop('parent exited'));
      process.stdin.resume();
    }
  });
  // The stdin pipe (under synod cluster) would keep the event loop, and so the process, alive.
  process.stdin.destroy();
  io.setExitCode(EXIT.ok);
}

interface ClusterMember {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
}

/** etcd's local-cluster convention: 2379, 22379, 32379 for clients; the peer port is one above. */
export function clusterMembers(count: number, basePort: number): ClusterMember[] {
  return Array.from({ length: count }, (_, index) => {
    const clientPort = index === 0 ? basePort : basePort + (index + 1) * 10_000;
    if (clientPort + 2 > 65_535)
      throw new SynodError(
        'SERVER_BAD_FLAG',
        `--base-port ${basePort} with ${count} nodes needs port ${clientPort + 2}, above 65535`,
      );
    return { name: `n${index + 1}`, clientPort, peerPort: clientPort + 1 };
  });
}

function integerOption(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max)
    throw new SynodError(
      'SERVER_BAD_FLAG',
      `${flag} must be an integer from ${min} to ${max}, got "${text}"`,
    );
  return value;
}

async function runCluster(io: CliIo, options: ClusterCommandOptions): Promise<void> {
  const count = integerOption('--nodes', options.nodes, 1, 6);
  const basePort = integerOption('--base-port', options.basePort, 1, 65_534);
  logLevelOf(options.logLevel);
  const vizPort = options.viz ? portOption('--viz-port', options.vizPort) : undefined;
  if (!SERVER_ENGINES.some((engine) => engine.name === options.engine))
    throw new SynodError(
      'SERVER_BAD_FLAG',
      `--engine "${options.engine}" is not a server engine (available: ${ENGINE_NAMES})`,
    );
  const members = clusterMembers(count, basePort);
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const initialCluster = members
    .map((member) => `${member.name}=http://127.0.0.1:${member.peerPort}`)
    .join(',');
  const endpoints = members.map((member) => `127.0.0.1:${member.clientPort}`).join(',');
  io.out(
    `Synod: a ${count}-member etcd-compatible cluster (engine ${options.engine}), data in ${dataDir}\n` +
      members
        .map(
          (member) =>
            `  ${member.name}  client http://127.0.0.1:${member.clientPort}  peer http://127.0.0.1:${member.peerPort}  metrics http://127.0.0.1:${member.peerPort + 1}/metrics\n`,
        )
        .join('') +
      `Try:  ETCDCTL_API=3 etcdctl --endpoints=${endpoints} put foo bar\n` +
      `Ctrl-C stops every member; starting again resumes with the data.\n\n`,
  );
  const viz =
    vizPort === undefined
      ? undefined
      : await serveLiveViz(
          io,
          vizPort,
          members.map((member) => `http://127.0.0.1:${member.peerPort + 1}`),
        );
  const bin = join(packageRoot(), 'bin', 'synod.js');
  const children = new Map<string, ChildProcess>();
  let stopping = false;
  await new Promise<void>((done) => {
    const finishIfAllExited = () => {
      if (children.size === 0) done();
    };
    for (const member of members) {
      const child = spawn(
        process.execPath,
        [
          bin,
          'node',
          '--name',
          member.name,
          '--data-dir',
          join(dataDir, member.name),
          '--listen-client-urls',
          `http://127.0.0.1:${member.clientPort}`,
          '--listen-peer-urls',
          `http://127.0.0.1:${member.peerPort}`,
          '--listen-metrics-urls',
          `http://127.0.0.1:${member.peerPort + 1}`,
          '--initial-cluster',
          initialCluster,
          '--initial-cluster-token',
          'synod-local-cluster',
          '--engine',
          options.engine,
          '--log-level',
          options.logLevel,
        ],
        {
          stdio: ['pipe', 'pipe', 'pipe'],
          env: { ...process.env, [EXIT_WITH_PARENT_ENV]: '1' },
        },
      );
      children.set(member.name, child);
      prefixLines(child.stdout, member.name, (line) => io.out(line));
      prefixLines(child.stderr, member.name, (line) => io.err(line));
      child.on('exit', (code, signal) => {
        children.delete(member.name);
        if (!stopping)
          io.err(
            `synod cluster: ${member.name} exited (${signal ?? `code ${code}`}); the others keep running\n`,
          );
        finishIfAllExited();
      });
    }
    const stopAll = () => {
      if (stopping) return;
      stopping = true;
      io.out('\nStopping every member...\n');
      for (const child of children.values()) child.kill('SIGTERM');
    };
    process.once('SIGINT', stopAll);
    process.once('SIGTERM', stopAll);
  });
  await viz?.close();
  io.out('All members stopped.\n');
}

/**
 * The visualizer in live mode on the members' metrics endpoints. The cluster matters more than
 * the page: if the page cannot be served (not built, port taken), say why and run without it.
 */
async function serveLiveViz(
  io: CliIo,
  port: number,
  endpoints: readonly string[],
): Promise<VizServer | undefined> {
  try {
    const server = await startVizServer({
      root: vizRoot(),
      port,
      host: '127.0.0.1',
      portFlag: '--viz-port',
    });
    io.out(`Watch it live: ${liveVizUrl(server.url, endpoints)}\n\n`);
    return server;
  } catch (error) {
    io.err(
      `synod cluster: not serving the visualizer: ${(error as Error).message} (--no-viz skips it)\n`,
    );
    return undefined;
  }
}

function prefixLines(
  stream: NodeJS.ReadableStream | null,
  name: string,
  write: (line: string) => void,
): void {
  if (stream === null) return;
  createInterface({ input: stream }).on('line', (line) => write(`[${name}] ${line}\n`));
}
