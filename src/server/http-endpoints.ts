import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { NodeConfig } from './config.js';
import type { EtcdApplication, ServerOp, ServerResult } from './etcd-application.js';
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

/** The endpoints on a port of their own (etcd's --listen-metrics-urls); https with `tls`. */
export function startHttpEndpoints(
  sources: HttpEndpointSources,
  host: string,
  port: number,
  tls: TlsMaterial | undefined,
): Promise<Server> {
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
    case '/metrics':
      response
        .writeHead(200, { 'content-type': sources.metrics.contentType })
        .end(await sources.metrics.text());
      return;
    default:
      response.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
  }
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
