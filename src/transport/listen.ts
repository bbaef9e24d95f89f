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

/**
 * Binds `servers[i]` to `addresses[i]`, in order: all or none. When one address cannot be bound,
 * the servers already listening are closed and the error (naming the address) is rethrown.
 */
export async function listenEach(
  servers: readonly Server[],
  addresses: readonly { readonly host: string; readonly port: number }[],
  what: string,
): Promise<void> {
  try {
    for (const [index, server] of servers.entries()) {
      const { host, port } = addresses[index]!;
      await listenAt(server, host, port, what);
    }
  } catch (error) {
    await closeListening(servers);
    throw error;
  }
}

/** Closes every server of `servers` that is listening; resolves once they are closed. */
export async function closeListening(servers: readonly Server[]): Promise<void> {
  await Promise.all(
    servers
      .filter((server) => server.listening)
      .map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
  );
}
