import type { Server } from 'node:net';

/**
 * Binds a server to one address; the error names what was to listen and where (etcd's "listen
 * tcp 127.0.0.1:2379: bind: address already in use" tells an operator which flag to fix).
 */
export function listenAt(server: Server, host: string, port: number, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const fail = (error: Error) =>
      reject(new Error(`cannot listen for ${what} on ${host}:${port}: ${error.message}`));
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve();
    });
  });
}
