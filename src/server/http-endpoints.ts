import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { NodeConfig } from './config.js';
import type { EtcdApplication, ServerOp, ServerResult } from './etcd-application.js';
import { LIVE_STATE_PATH, LIVE_STATE_STREAM_PATH, liveState } from './live-state.js';
import type { NodeRuntime } from './node.js';

/** What the HTTP endpoints read; kept narrow so tests can build one. */
export interface HttpEndpointSources {
  readonly config: NodeConfig;
  readonly runtime: NodeRuntime<ServerOp, ServerResult>;
  readonly app: EtcdApplication;
  readonly version: string;
}

/** How long /health waits for its linearizable read. */
const HEALTH_READ_TIMEOUT_MS = 1000;
/** How often the live-state stream pushes a reading: smooth rates without loading the member. */
export const LIVE_STATE_STREAM_INTERVAL_MS = 100;

/**
 * The live state is read by the visualizer, which may be served from another origin (`synod viz`,
 * a vite dev server): it is public, read-only and holds no client data, so any origin may read it.
 */
const LIVE_CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, OPTIONS',
  'access-control-max-age': '600',
};

/**
 * etcd's HTTP endpoints on `--listen-metrics-urls`: `/health` (a linearizable read of the key
 * "health", as etcdctl's health check does), `/version` and `/metrics` (Prometheus text format,
 * with etcd's metric names where etcd has one).
 */
export function startHttpEndpoints(
  sources: HttpEndpointSources,
  host: string,
  port: number,
): Promise<Server> {
  const server = createServer((request, response) => {
    route(sources, request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

async function route(
  sources: HttpEndpointSources,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  const live = path === LIVE_STATE_PATH || path === LIVE_STATE_STREAM_PATH;
  if (live && request.method === 'OPTIONS') {
    response.writeHead(204, LIVE_CORS_HEADERS).end();
    return;
  }
  if (request.method !== 'GET') {
    response.writeHead(405, { allow: 'GET' }).end();
    return;
  }
  switch (path) {
    case '/health': {
      const healthy = await isHealthy(sources);
      response
        .writeHead(healthy.ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ health: String(healthy.ok), reason: healthy.reason }));
      return;
    }
    case '/version':
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ etcdserver: sources.version, etcdcluster: sources.version }));
      return;
    case LIVE_STATE_PATH:
      response
        .writeHead(200, {
          ...LIVE_CORS_HEADERS,
          'content-type': 'application/json',
          'cache-control': 'no-store',
        })
        .end(JSON.stringify(liveState(sources.config, sources.runtime)));
      return;
    case LIVE_STATE_STREAM_PATH:
      streamLiveState(sources, response);
      return;
    case '/metrics':
      response
        .writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
        .end(metricsText(sources));
      return;
    default:
      response.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
  }
}

/** Server-sent events: one `data:` line of live state every interval until the reader leaves. */
function streamLiveState(sources: HttpEndpointSources, response: ServerResponse): void {
  response.writeHead(200, {
    ...LIVE_CORS_HEADERS,
    'content-type': 'text/event-stream',
    'cache-control': 'no-store',
    connection: 'keep-alive',
  });
  const push = () =>
    response.write(`data: ${JSON.stringify(liveState(sources.config, sources.runtime))}\n\n`);
  push();
  const timer = setInterval(push, LIVE_STATE_STREAM_INTERVAL_MS);
  response.on('close', () => clearInterval(timer));
}

async function isHealthy(sources: HttpEndpointSources): Promise<{ ok: boolean; reason: string }> {
  if (sources.runtime.leader() === undefined) return { ok: false, reason: 'RAFT NO LEADER' };
  try {
    const result = await sources.runtime.submit(
      { type: 'range', request: { key: 'health' } },
      HEALTH_READ_TIMEOUT_MS,
    );
    return result.ok ? { ok: true, reason: '' } : { ok: false, reason: result.error.message };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}

/** Prometheus text exposition: `# HELP`, `# TYPE`, then the sample. */
export function metricsText(sources: HttpEndpointSources): string {
  const metrics = sources.runtime.metrics();
  const store = sources.app.store;
  const lines: string[] = [];
  const add = (name: string, type: 'gauge' | 'counter', help: string, value: number) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
  };
  add(
    'etcd_server_has_leader',
    'gauge',
    'Whether or not a leader exists. 1 is existence, 0 is not.',
    metrics.hasLeader ? 1 : 0,
  );
  add(
    'etcd_server_leader_changes_seen_total',
    'counter',
    'The number of leader changes seen.',
    metrics.leaderChanges,
  );
  add(
    'etcd_server_proposals_committed_total',
    'gauge',
    'The total number of consensus proposals committed.',
    metrics.committedIndex,
  );
  add(
    'etcd_server_proposals_applied_total',
    'gauge',
    'The total number of consensus proposals applied.',
    metrics.appliedIndex,
  );
  add(
    'etcd_server_proposals_pending',
    'gauge',
    'The current number of pending proposals to commit.',
    metrics.proposalsPending,
  );
  add(
    'etcd_server_proposals_failed_total',
    'counter',
    'The total number of failed proposals seen.',
    metrics.proposalsFailed,
  );
  add(
    'etcd_debugging_mvcc_current_revision',
    'gauge',
    'The current revision of store.',
    store.currentRevision,
  );
  add(
    'etcd_debugging_mvcc_compact_revision',
    'gauge',
    'The revision of the last compaction in store.',
    store.compactedRevision,
  );
  add(
    'etcd_debugging_mvcc_keys_total',
    'gauge',
    'Total number of keys (with retained history).',
    store.keyCount,
  );
  add(
    'synod_wal_bytes_written_total',
    'counter',
    'Bytes written to the write-ahead log.',
    metrics.walBytesWritten,
  );
  // A histogram with only the +Inf bucket: the count and sum are exact; buckets would need a
  // timing per fsync, which the storage layer reports only as totals.
  const fsync = 'etcd_disk_wal_fsync_duration_seconds';
  lines.push(
    `# HELP ${fsync} The latency distributions of fsync called by WAL.`,
    `# TYPE ${fsync} histogram`,
    `${fsync}_bucket{le="+Inf"} ${metrics.walFsyncs}`,
    `${fsync}_sum ${metrics.walFsyncSecondsTotal}`,
    `${fsync}_count ${metrics.walFsyncs}`,
  );
  return `${lines.join('\n')}\n`;
}
