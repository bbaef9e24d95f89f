import { SynodError } from '../core/errors.js';
import type { NodeId } from '../core/ids.js';
import { clusterIdOf, idToHex, memberIdOf } from './cluster-ids.js';
import type { HostPort } from './urls.js';
import { parseHttpUrl, parseUrlList } from './urls.js';

/** One member of the initial cluster, as every node derives it from the same flags. */
export interface MemberConfig {
  readonly name: string;
  /** The engine's node id: the member's position in the initial cluster sorted by name. */
  readonly nodeId: NodeId;
  /** etcd's member id (uint64), shown to clients. */
  readonly memberId: bigint;
  readonly peerUrls: readonly string[];
  readonly peerAddress: HostPort;
}

/** Everything `synod node` needs, validated. */
export interface NodeConfig {
  readonly name: string;
  readonly dataDir: string;
  readonly listenClient: HostPort;
  readonly advertiseClientUrls: readonly string[];
  readonly listenPeer: HostPort;
  /** etcd's --listen-metrics-urls: /health, /version and /metrics over HTTP; none if absent. */
  readonly listenMetrics: HostPort | undefined;
  readonly members: readonly MemberConfig[];
  readonly self: MemberConfig;
  readonly clusterToken: string;
  readonly clusterId: bigint;
  readonly engine: string;
  readonly tickMs: number;
  /** etcd's --heartbeat-interval: how often the leader heartbeats, in ms (a whole number of ticks). */
  readonly heartbeatIntervalMs: number;
  /** etcd's --election-timeout: a follower that hears no leader for this long (to twice it) campaigns. */
  readonly electionTimeoutMs: number;
  /** How long a client request may wait for its answer before `etcdserver: request timed out`. */
  readonly requestTimeoutMs: number;
}

/** The flags as given (strings), with etcd's names in camelCase. */
export interface NodeFlags {
  readonly name?: string;
  readonly dataDir?: string;
  readonly listenClientUrls?: string;
  readonly advertiseClientUrls?: string;
  readonly listenPeerUrls?: string;
  readonly listenMetricsUrls?: string;
  readonly initialAdvertisePeerUrls?: string;
  readonly initialCluster?: string;
  readonly initialClusterState?: string;
  readonly initialClusterToken?: string;
  readonly engine?: string;
  readonly tickMs?: string;
  readonly heartbeatInterval?: string;
  readonly electionTimeout?: string;
  readonly requestTimeoutMs?: string;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

function bad(message: string): SynodError {
  return new SynodError('SERVER_BAD_FLAG', message);
}

function integerFlag(
  flag: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max)
    throw bad(`${flag} must be an integer from ${min} to ${max}, got "${text}"`);
  return value;
}

/**
 * Parses `--initial-cluster name=url,name=url,...` (a name may repeat for several peer URLs, as in
 * etcd) into members with node ids and etcd member ids.
 */
export function parseInitialCluster(text: string, token: string): MemberConfig[] {
  const urlsByName = new Map<string, string[]>();
  for (const part of text.split(',').map((item) => item.trim())) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    if (equals <= 0)
      throw bad(`--initial-cluster: "${part}" is not name=url (e.g. n1=http://127.0.0.1:2380)`);
    const name = part.slice(0, equals);
    const url = part.slice(equals + 1);
    if (!NAME_PATTERN.test(name))
      throw bad(
        `--initial-cluster: member name "${name}" must be letters, digits, "_", "." or "-"`,
      );
    parseHttpUrl('--initial-cluster', url);
    const urls = urlsByName.get(name) ?? [];
    urls.push(url);
    urlsByName.set(name, urls);
  }
  if (urlsByName.size === 0) throw bad('--initial-cluster names no member');
  const names = [...urlsByName.keys()].sort();
  const members = names.map((name, index) => {
    const peerUrls = urlsByName.get(name) as string[];
    return {
      name,
      nodeId: index,
      memberId: memberIdOf(peerUrls, token),
      peerUrls,
      peerAddress: parseHttpUrl('--initial-cluster', peerUrls[0] as string),
    };
  });
  const seen = new Map<string, string>();
  for (const member of members) {
    for (const url of member.peerUrls) {
      const owner = seen.get(url);
      if (owner !== undefined)
        throw bad(`--initial-cluster: ${owner} and ${member.name} share the peer URL ${url}`);
      seen.set(url, member.name);
    }
  }
  return members;
}

export function parseNodeFlags(flags: NodeFlags): NodeConfig {
  const name = flags.name ?? 'default';
  if (!NAME_PATTERN.test(name))
    throw bad(`--name "${name}" must be 1-63 letters, digits, "_", "." or "-"`);
  const state = flags.initialClusterState ?? 'new';
  if (state === 'existing')
    throw bad(
      '--initial-cluster-state existing (joining a running cluster) is not supported yet; ' +
        'start every member with "new" (a restarted member resumes from its data directory)',
    );
  if (state !== 'new')
    throw bad(`--initial-cluster-state must be "new" or "existing", got "${state}"`);
  const listenClient = parseUrlList(
    '--listen-client-urls',
    flags.listenClientUrls ?? 'http://127.0.0.1:2379',
  );
  const advertiseClient = parseUrlList(
    '--advertise-client-urls',
    flags.advertiseClientUrls ?? listenClient.urls.join(','),
  );
  const listenPeer = parseUrlList(
    '--listen-peer-urls',
    flags.listenPeerUrls ?? 'http://127.0.0.1:2380',
  );
  const advertisePeer = parseUrlList(
    '--initial-advertise-peer-urls',
    flags.initialAdvertisePeerUrls ?? listenPeer.urls.join(','),
  );
  const token = flags.initialClusterToken ?? 'etcd-cluster';
  if (token.length === 0 || token.length > 256)
    throw bad('--initial-cluster-token must be 1 to 256 characters');
  const members = parseInitialCluster(
    flags.initialCluster ?? `${name}=${advertisePeer.urls.join(`,${name}=`)}`,
    token,
  );
  const self = members.find((member) => member.name === name);
  if (self === undefined)
    throw bad(
      `--initial-cluster has no member named "${name}" (--name); it names ${members.map((m) => m.name).join(', ')}`,
    );
  const mine = [...self.peerUrls].sort().join(',');
  if (mine !== [...advertisePeer.urls].sort().join(','))
    throw bad(
      `--initial-cluster gives ${name} the peer URLs ${self.peerUrls.join(',')}, but ` +
        `--initial-advertise-peer-urls says ${advertisePeer.urls.join(',')}; they must match`,
    );
  const engine = flags.engine ?? 'raft';
  if (!/^[a-z][a-z0-9-]*$/.test(engine)) throw bad(`--engine "${engine}" is not an engine name`);
  const tickMs = integerFlag('--tick-ms', flags.tickMs, 10, 1, 1000);
  return {
    name,
    dataDir: flags.dataDir ?? `${name}.synod`,
    listenClient: listenClient.first,
    advertiseClientUrls: advertiseClient.urls,
    listenPeer: listenPeer.first,
    listenMetrics:
      flags.listenMetricsUrls === undefined
        ? undefined
        : parseUrlList('--listen-metrics-urls', flags.listenMetricsUrls).first,
    members,
    self,
    clusterToken: token,
    clusterId: clusterIdOf(members.map((member) => member.memberId)),
    engine,
    tickMs,
    ...timing(flags, tickMs),
    requestTimeoutMs: integerFlag(
      '--request-timeout-ms',
      flags.requestTimeoutMs,
      3000,
      100,
      600_000,
    ),
  };
}

/** etcd's defaults: a heartbeat every 100 ms, elections after 1 to 2 s without one. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 100;
export const DEFAULT_ELECTION_TIMEOUT_MS = 1000;

/**
 * The election timing, checked as etcd checks it (the election timeout at least five heartbeats,
 * at most 50 s) and against the tick, since the engines count in ticks.
 */
function timing(
  flags: NodeFlags,
  tickMs: number,
): { heartbeatIntervalMs: number; electionTimeoutMs: number } {
  const heartbeatIntervalMs = integerFlag(
    '--heartbeat-interval',
    flags.heartbeatInterval,
    DEFAULT_HEARTBEAT_INTERVAL_MS,
    1,
    10_000,
  );
  const electionTimeoutMs = integerFlag(
    '--election-timeout',
    flags.electionTimeout,
    DEFAULT_ELECTION_TIMEOUT_MS,
    1,
    50_000,
  );
  if (electionTimeoutMs < 5 * heartbeatIntervalMs)
    throw bad(
      `--election-timeout (${electionTimeoutMs} ms) must be at least 5 times --heartbeat-interval ` +
        `(${heartbeatIntervalMs} ms), as etcd requires`,
    );
  if (heartbeatIntervalMs < tickMs)
    throw bad(
      `--heartbeat-interval (${heartbeatIntervalMs} ms) is shorter than --tick-ms (${tickMs} ms); ` +
        'the engine counts time in ticks',
    );
  return { heartbeatIntervalMs, electionTimeoutMs };
}

/** The timing in the engine's units (ticks), rounded to the nearest whole tick. */
export function timingTicks(config: NodeConfig): { heartbeatTicks: number; electionTicks: number } {
  return {
    heartbeatTicks: Math.max(1, Math.round(config.heartbeatIntervalMs / config.tickMs)),
    electionTicks: Math.max(2, Math.round(config.electionTimeoutMs / config.tickMs)),
  };
}

/** The cluster id string the peer transport checks on connect. */
export function transportClusterId(config: NodeConfig): string {
  return `synod-${idToHex(config.clusterId)}`;
}
