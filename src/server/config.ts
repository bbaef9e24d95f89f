import { SynodError } from '../core/errors.js';
import type { NodeId } from '../core/ids.js';
import type { AutoCompaction } from './auto-compaction.js';
import { clusterIdOf, idToHex, memberIdOf } from './cluster-ids.js';
import type { TlsMaterial } from './tls-files.js';
import { loadTls } from './tls-files.js';
import type { JwtOptions } from './auth/jwt-tokens.js';
import { parseJwtOptions } from './auth/jwt-tokens.js';
import { MAX_TXN_OPS_DEFAULT, MAX_TXN_OPS_LIMIT } from '../storage/mvcc/index.js';
import type { HostPort } from './urls.js';
import { isHttpsUrl, parseHttpUrl, parseUrlList, addressesOf } from './urls.js';

/** One member of the initial cluster, as every node derives it from the same flags. */
export interface MemberConfig {
  readonly name: string;
  /** The engine's node id: the member's position in the initial cluster sorted by name. */
  readonly nodeId: NodeId;
  /** etcd's member id (uint64), shown to clients. */
  readonly memberId: bigint;
  readonly peerUrls: readonly string[];
  /** Its peer URLs as addresses, in order. */
  readonly peerAddresses: readonly HostPort[];
}

/** Everything `synod node` needs, validated. */
export interface NodeConfig {
  readonly name: string;
  readonly dataDir: string;
  /** Every --listen-client-urls address: each serves the whole API, as in etcd. */
  readonly listenClient: readonly HostPort[];
  readonly advertiseClientUrls: readonly string[];
  /** Every --listen-peer-urls address. */
  readonly listenPeer: readonly HostPort[];
  /** etcd's --listen-metrics-urls: /health, /version and /metrics over HTTP; none if absent. */
  readonly listenMetrics: readonly HostPort[] | undefined;
  /** Whether --listen-metrics-urls is https (served with the client certificate, as etcd does). */
  readonly metricsSecure: boolean;
  /** TLS on the client port (https --listen-client-urls); undefined for plain http. */
  readonly clientTls: TlsMaterial | undefined;
  /** TLS on peer connections, both accepted and dialed (https peer URLs). */
  readonly peerTls: TlsMaterial | undefined;
  /** --auto-tls / --peer-auto-tls: hosts to make self-signed certificates for, at start. */
  readonly autoTls?: { readonly client?: readonly string[]; readonly peer?: readonly string[] };
  /** etcd's --auth-token: simple tokens (through the log), or signed JWTs. */
  readonly authToken: AuthTokenConfig;
  /** Flags that were accepted but have no effect, for the log (etcd warns the same way). */
  readonly warnings: readonly string[];
  readonly members: readonly MemberConfig[];
  readonly self: MemberConfig;
  readonly clusterToken: string;
  /** `new`: bootstrap a cluster of `members`; `existing`: join the running cluster they form. */
  readonly initialClusterState: 'new' | 'existing';
  readonly clusterId: bigint;
  readonly engine: string;
  readonly tickMs: number;
  /** etcd's --snapshot-count: applied entries between snapshots. */
  readonly snapshotCount: number;
  /** etcd's --max-request-bytes: a request's keys, values and other fields at most (1.5 MiB). */
  readonly maxRequestBytes: number;
  /** etcd's --max-txn-ops: operations in one branch of a Txn at most (128). */
  readonly maxTxnOps: number;
  /** etcd's --heartbeat-interval: how often the leader heartbeats, in ms (a whole number of ticks). */
  readonly heartbeatIntervalMs: number;
  /** etcd's --election-timeout: a follower that hears no leader for this long (to twice it) campaigns. */
  readonly electionTimeoutMs: number;
  /** How long a client request may wait for its answer before `etcdserver: request timed out`. */
  readonly requestTimeoutMs: number;
  /**
   * etcd's --strict-reconfig-check (default true): refuse a membership change that would leave too
   * few started voters for a quorum, or that an unhealthy cluster could not survive.
   */
  readonly strictReconfigCheck: boolean;
  /** etcd's --auto-compaction-mode and --auto-compaction-retention; undefined: off (etcd's default). */
  readonly autoCompaction: AutoCompaction | undefined;
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
  readonly snapshotCount?: string;
  readonly maxRequestBytes?: string;
  readonly maxTxnOps?: string;
  readonly heartbeatInterval?: string;
  readonly electionTimeout?: string;
  readonly requestTimeoutMs?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly trustedCaFile?: string;
  // etcd's boolean flags: given bare (true), or as --flag=true / --flag=false.
  readonly clientCertAuth?: BooleanFlag;
  readonly peerCertFile?: string;
  readonly peerKeyFile?: string;
  readonly peerTrustedCaFile?: string;
  readonly peerClientCertAuth?: BooleanFlag;
  readonly authToken?: string;
  readonly autoTls?: BooleanFlag;
  readonly peerAutoTls?: BooleanFlag;
  readonly strictReconfigCheck?: BooleanFlag;
  readonly autoCompactionMode?: string;
  readonly autoCompactionRetention?: string;
}

/** A boolean flag as the CLI hands it over: true when given bare, else the text after `=`. */
export type BooleanFlag = boolean | string;

/** Go's flag package accepts these for a boolean, and etcd's flags are Go flags. */
const BOOLEAN_TEXTS: Readonly<Record<string, boolean>> = {
  true: true,
  false: false,
  '1': true,
  '0': false,
  t: true,
  f: false,
  TRUE: true,
  FALSE: false,
  True: true,
  False: false,
  T: true,
  F: false,
};

const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gu;

/** A Go duration ("90s", "1h30m", "0.5h") in milliseconds; undefined when it is not one. */
function goDurationMs(text: string): number | undefined {
  if (!new RegExp(`^(?:${DURATION_PART.source})+$`, 'u').test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(DURATION_PART))
    total += Number(amount) * (DURATION_UNITS_MS[unit as string] as number);
  return total;
}

/**
 * etcd 3.4's auto-compaction flags. The retention is a whole number (hours in periodic mode,
 * revisions in revision mode) or, in periodic mode, a duration such as "30m"; 0 turns it off.
 */
function parseAutoCompaction(
  modeText: string | undefined,
  retentionText: string | undefined,
): AutoCompaction | undefined {
  const mode = modeText ?? 'periodic';
  if (mode !== 'periodic' && mode !== 'revision')
    throw bad(`--auto-compaction-mode must be "periodic" or "revision", got "${mode}"`);
  const text = retentionText ?? '0';
  if (/^\d+$/u.test(text)) {
    const amount = Number(text);
    if (!Number.isSafeInteger(amount))
      throw bad(`--auto-compaction-retention ${text} is too large`);
    if (amount === 0) return undefined;
    return mode === 'revision'
      ? { mode, retentionRevisions: amount }
      : { mode, retentionMs: amount * 3_600_000 };
  }
  const ms = goDurationMs(text);
  if (ms === undefined || mode === 'revision')
    throw bad(
      `--auto-compaction-retention "${text}" must be ${mode === 'revision' ? 'a number of revisions' : 'a number of hours or a duration such as 30m or 1h30m'}`,
    );
  if (ms === 0) return undefined;
  if (ms < 1) throw bad(`--auto-compaction-retention "${text}" is under a millisecond`);
  return { mode, retentionMs: Math.round(ms) };
}

function booleanFlag(flag: string, value: BooleanFlag | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  const parsed = BOOLEAN_TEXTS[value];
  if (parsed === undefined) throw bad(`${flag} must be true or false, got "${value}"`);
  return parsed;
}

/** etcd's defaults for --max-request-bytes (1.5 MiB) and --max-txn-ops. */
export const MAX_REQUEST_BYTES_DEFAULT = 1.5 * 1024 * 1024;

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
/** Stands for an unnamed `--initial-cluster` entry; no member name can start with it. */
const UNNAMED_PREFIX = '=unnamed-';

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
export function parseInitialCluster(
  text: string,
  token: string,
  allowUnnamed = false,
): MemberConfig[] {
  const urlsByName = new Map<string, string[]>();
  let unnamed = 0;
  for (const part of text.split(',').map((item) => item.trim())) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    if (equals < 0 || (equals === 0 && !allowUnnamed))
      throw bad(`--initial-cluster: "${part}" is not name=url (e.g. n1=http://127.0.0.1:2380)`);
    // etcdctl member add lists a member added but not started yet with no name ("=url"): each
    // such entry is a member of its own, told apart by its peer URLs when joining.
    const name = equals === 0 ? `${UNNAMED_PREFIX}${unnamed++}` : part.slice(0, equals);
    const url = part.slice(equals + 1);
    if (equals > 0 && !NAME_PATTERN.test(name))
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
      peerAddresses: addressesOf('--initial-cluster', peerUrls),
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

/**
 * The TLS material for one listener, or undefined for plain http. An https URL without a
 * certificate is refused; certificate flags on an http listener are ignored with a warning, as
 * etcd does.
 */
function tlsFor(
  prefix: '--' | '--peer-',
  secure: boolean,
  urlFlags: string,
  files: { cert?: string; key?: string; ca?: string; clientCertAuth?: boolean; auto?: boolean },
  warnings: string[],
): TlsMaterial | 'auto' | undefined {
  const given = files.cert !== undefined || files.key !== undefined || files.ca !== undefined;
  if (!secure) {
    if (given || files.clientCertAuth === true)
      warnings.push(
        `${urlFlags} are http: ${prefix}cert-file, ${prefix}key-file, ${prefix}trusted-ca-file ` +
          `and ${prefix}client-cert-auth are ignored`,
      );
    return undefined;
  }
  if (files.cert === undefined && files.key === undefined && files.auto === true) {
    if (files.clientCertAuth === true)
      throw bad(
        `${prefix}auto-tls makes a self-signed certificate, which cannot check ` +
          `${prefix}client-cert-auth: give ${prefix}cert-file, ${prefix}key-file and ` +
          `${prefix}trusted-ca-file instead`,
      );
    return 'auto';
  }
  if (files.auto === true)
    warnings.push(
      `${prefix}auto-tls is ignored: ${prefix}cert-file and ${prefix}key-file are given`,
    );
  if (files.cert === undefined || files.key === undefined)
    throw bad(
      `${urlFlags} are https, which needs ${prefix}cert-file and ${prefix}key-file ` +
        `(or ${prefix}auto-tls, or http:// URLs)`,
    );
  if (files.clientCertAuth === true && files.ca === undefined)
    throw bad(
      `${prefix}client-cert-auth needs ${prefix}trusted-ca-file: the CA that clients' ` +
        'certificates must chain to',
    );
  return loadTls({
    flagPrefix: prefix,
    certFile: files.cert,
    keyFile: files.key,
    trustedCaFile: files.ca,
    clientCertAuth: files.clientCertAuth === true,
  });
}

export function parseNodeFlags(flags: NodeFlags): NodeConfig {
  const name = flags.name ?? 'default';
  if (!NAME_PATTERN.test(name))
    throw bad(`--name "${name}" must be 1-63 letters, digits, "_", "." or "-"`);
  const state = flags.initialClusterState ?? 'new';
  if (state !== 'new' && state !== 'existing')
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
    state === 'existing',
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
  // One peer transport, one scheme: every member's peer URLs must agree with this listener.
  const httpsPeer = members.flatMap((member) =>
    member.peerUrls.filter((url) => isHttpsUrl(url) !== listenPeer.secure),
  );
  if (httpsPeer.length > 0)
    throw bad(
      `--listen-peer-urls is ${listenPeer.secure ? 'https' : 'http'} but --initial-cluster has ` +
        `${httpsPeer.join(', ')}; every peer URL must use the same scheme`,
    );
  const warnings: string[] = [];
  const clientTlsOrAuto = tlsFor(
    '--',
    listenClient.secure,
    '--listen-client-urls',
    {
      cert: flags.certFile,
      key: flags.keyFile,
      ca: flags.trustedCaFile,
      clientCertAuth: booleanFlag('--client-cert-auth', flags.clientCertAuth, false),
      auto: booleanFlag('--auto-tls', flags.autoTls, false),
    },
    warnings,
  );
  const peerTlsOrAuto = tlsFor(
    '--peer-',
    listenPeer.secure,
    '--listen-peer-urls',
    {
      cert: flags.peerCertFile,
      key: flags.peerKeyFile,
      ca: flags.peerTrustedCaFile,
      clientCertAuth: booleanFlag('--peer-client-cert-auth', flags.peerClientCertAuth, false),
      auto: booleanFlag('--peer-auto-tls', flags.peerAutoTls, false),
    },
    warnings,
  );
  const clientTls = clientTlsOrAuto === 'auto' ? undefined : clientTlsOrAuto;
  const peerTls = peerTlsOrAuto === 'auto' ? undefined : peerTlsOrAuto;
  // Made at start, in the data directory (auto-tls.ts), for the hosts this member listens on.
  const hostsOf = (urls: readonly string[]) =>
    [...new Set(urls.map((url) => parseHttpUrl('URL', url).host))].filter((host) => host !== '');
  const autoTls =
    clientTlsOrAuto !== 'auto' && peerTlsOrAuto !== 'auto'
      ? undefined
      : {
          ...(clientTlsOrAuto === 'auto'
            ? { client: hostsOf([...listenClient.urls, ...advertiseClient.urls]) }
            : {}),
          ...(peerTlsOrAuto === 'auto'
            ? { peer: hostsOf([...listenPeer.urls, ...self.peerUrls]) }
            : {}),
        };
  const metrics =
    flags.listenMetricsUrls === undefined
      ? undefined
      : parseUrlList('--listen-metrics-urls', flags.listenMetricsUrls);
  if (metrics?.secure === true && clientTlsOrAuto === undefined)
    throw bad(
      '--listen-metrics-urls is https, which serves the client certificate: give --cert-file ' +
        'and --key-file with https --listen-client-urls',
    );
  const tickMs = integerFlag('--tick-ms', flags.tickMs, 10, 1, 1000);
  return {
    name,
    dataDir: flags.dataDir ?? `${name}.synod`,
    listenClient: listenClient.all,
    advertiseClientUrls: advertiseClient.urls,
    listenPeer: listenPeer.all,
    listenMetrics: metrics?.all,
    metricsSecure: metrics?.secure === true,
    clientTls,
    ...(autoTls === undefined ? {} : { autoTls }),
    authToken: parseAuthToken(flags.authToken ?? 'simple'),
    peerTls,
    warnings,
    members,
    self,
    clusterToken: token,
    initialClusterState: state,
    strictReconfigCheck: booleanFlag('--strict-reconfig-check', flags.strictReconfigCheck, true),
    autoCompaction: parseAutoCompaction(flags.autoCompactionMode, flags.autoCompactionRetention),
    clusterId: clusterIdOf(members.map((member) => member.memberId)),
    engine,
    tickMs,
    ...timing(flags, tickMs),
    snapshotCount: integerFlag(
      '--snapshot-count',
      flags.snapshotCount,
      100_000, // etcd 3.4's default
      1,
      100_000_000,
    ),
    // Up to 64 MiB: a larger request would be one log entry of that size, copied whole to every
    // follower and into every snapshot; etcd advises keeping it at a few MiB.
    maxRequestBytes: integerFlag(
      '--max-request-bytes',
      flags.maxRequestBytes,
      MAX_REQUEST_BYTES_DEFAULT,
      1,
      64 * 1024 * 1024,
    ),
    maxTxnOps: integerFlag(
      '--max-txn-ops',
      flags.maxTxnOps,
      MAX_TXN_OPS_DEFAULT,
      1,
      MAX_TXN_OPS_LIMIT,
    ),
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

export type AuthTokenConfig =
  { readonly kind: 'simple' } | { readonly kind: 'jwt'; readonly options: JwtOptions };

/** `simple`, or `jwt,pub-key=…,priv-key=…,sign-method=…[,ttl=…]`, as etcd's --auth-token. */
export function parseAuthToken(text: string): AuthTokenConfig {
  if (text === 'simple') return { kind: 'simple' };
  if (text === 'jwt' || text.startsWith('jwt,'))
    return { kind: 'jwt', options: parseJwtOptions(text.slice(4)) };
  throw bad(`--auth-token "${text}" is not simple or jwt,<options>`);
}
