import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { NodeConfig } from './config.js';
import type { EtcdApplication, ServerOp, ServerResult } from './etcd-application.js';
import { LIVE_STATE_PATH, LIVE_STATE_STREAM_PATH, liveState } from './live-state.js';
import type { ServerMetrics } from './metrics.js';
import type { NodeRuntime } from './node.js';
import type { TlsMaterial } from './tls-files.js';

/** What the HTTP endpoints read; kept narrow so tests can build one. */
export interface HttpEndpointSources {
  readonly config: NodeConfig;
  readonly runtime: NodeRuntime<ServerOp, ServerResult>;
  readonly app: EtcdApplication;
  readonly version: string;
  readonly metrics: ServerMetrics;
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
 * etcd's HTTP endpoints, on the client port beside gRPC and on `--listen-metrics-urls`: `/health`
 * (a linearizable read of the key "health", as etcdctl's health check does), `/version` and
 * `/metrics` (Prometheus text format, see metrics.ts).
 */
export function httpHandler(
  sources: HttpEndpointSources,
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    route(sources, request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  };
}

/**
 * The endpoints on a port of their own (etcd's --listen-metrics-urls), not listening yet; https
 * with `tls`.
 */
export function httpEndpointsServer(
  sources: HttpEndpointSources,
  tls: TlsMaterial | undefined,
): Server {
  const handler = httpHandler(sources);
  const server =
    tls === undefined
      ? createServer(handler)
      : createHttpsServer(
          {
            cert: tls.cert,
            key: tls.key,
            ca: tls.ca,
            requestCert: tls.clientCertAuth,
            rejectUnauthorized: tls.clientCertAuth,
          },
          handler,
        );
  return server;
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
        .writeHead(200, { 'content-type': sources.metrics.contentType })
        .end(await sources.metrics.text());
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
