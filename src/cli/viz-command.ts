import { createReadStream, existsSync, statSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { SynodError } from '../core/errors.js';
import { parseUrlList } from '../server/urls.js';
import type { CliIo } from './io.js';
import { packageRoot } from './package-root.js';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.map': 'application/json',
  '.ico': 'image/x-icon',
};

export interface VizServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Where `npm run build` puts the visualizer (vite's output). */
export function vizRoot(): string {
  return join(packageRoot(), 'dist', 'web');
}

/**
 * Serves the built visualizer as static files. The app needs nothing else: the simulator runs in
 * the page. Only GET and HEAD, and only files under `root`.
 */
export async function startVizServer(options: {
  root: string;
  port: number;
  host: string;
  /** The flag that chose the port, named when the port is taken. */
  portFlag?: string;
}): Promise<VizServer> {
  const root = resolve(options.root);
  if (!existsSync(join(root, 'index.html')))
    throw new SynodError(
      'VIZ_NOT_BUILT',
      `the visualizer is not built (no ${join(root, 'index.html')}); run npm run build first`,
    );
  const server = createServer((request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    response.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-cache',
    });
    if (request.method === 'HEAD') response.end();
    else createReadStream(file).pipe(response);
  });
  await listen(server, options.port, options.host, options.portFlag ?? '--port');
  const { port } = server.address() as AddressInfo;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${shownHost}:${port}/`,
    close: () =>
      new Promise((done) => {
        server.close(() => done());
        server.closeAllConnections(); // a browser's keep-alive connection must not hold Ctrl-C
      }),
  };
}

/** The ring draws at most 9 nodes; more endpoints is a mistake in the list. */
const LIVE_ENDPOINTS_MAX = 9;

/**
 * The members' HTTP endpoints (their `--listen-metrics-urls`) for `--live`, validated here so a
 * typo fails at the command line rather than as a node shown down in the page.
 */
export function parseLiveEndpoints(text: string): string[] {
  const { urls } = parseUrlList('--live', text);
  if (urls.length > LIVE_ENDPOINTS_MAX)
    throw new SynodError(
      'BAD_OPTION',
      `--live: at most ${LIVE_ENDPOINTS_MAX} endpoints, got ${urls.length}`,
    );
  return urls.map((url) => new URL(url).origin);
}

/** The page's address in live mode, watching these endpoints. */
export function liveVizUrl(base: string, endpoints: readonly string[]): string {
  return `${base}?live=${endpoints.join(',')}`;
}

/** A port flag: an integer in 0..65535 (0: any free port). */
export function portOption(flag: string, text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535)
    throw new SynodError('BAD_OPTION', `${flag} must be an integer in 0..65535, got "${text}"`);
  return port;
}

function listen(server: Server, port: number, host: string, portFlag: string): Promise<void> {
  return new Promise((done, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      fail(
        new SynodError(
          'VIZ_LISTEN',
          `cannot listen on ${host}:${port}: ${error.code ?? error.message}; choose another ${portFlag}`,
        ),
      ),
    );
    server.listen(port, host, () => done());
  });
}

export function registerVizCommand(program: Command, io: CliIo): void {
  program
    .command('viz')
    .description('serve the web visualizer: watch, break and replay any protocol in the browser')
    .option('--port <n>', 'port to listen on (0: any free port)', '8080')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option(
      '--live <urls>',
      "open in live mode on a running cluster: its members' metrics URLs, comma-separated",
    )
    .action(async (options: { port: string; host: string; live?: string }) => {
      const port = portOption('--port', options.port);
      const live = options.live === undefined ? undefined : parseLiveEndpoints(options.live);
      const server = await startVizServer({ root: vizRoot(), port, host: options.host });
      io.out(`synod viz: serving the visualizer at ${server.url} (Ctrl-C stops)\n`);
      if (live !== undefined)
        io.out(`synod viz: live mode on ${live.join(', ')}: ${liveVizUrl(server.url, live)}\n`);
      await new Promise<void>((done) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void server.close().then(done);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
