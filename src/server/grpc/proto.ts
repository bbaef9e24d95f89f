import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GrpcObject, ServiceClientConstructor, ServiceDefinition } from '@grpc/grpc-js';
import { loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/**
 * The .proto files live in src/server/proto and are not copied by tsc, so they are found from the
 * package root (the folder with package.json), which works from src/ (tests) and dist/ (the bin).
 */
export function protoDirectory(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(folder, 'package.json'))) {
    const parent = dirname(folder);
    if (parent === folder)
      throw new Error('synod: cannot find the package root for the .proto files');
    folder = parent;
  }
  return join(folder, 'src', 'server', 'proto');
}

/**
 * How messages are decoded: field names as in the .proto (snake_case), int64 as decimal strings
 * (lossless; the edge checks they fit 2^53), enums as names, defaults filled in, and a virtual
 * field naming the member set in each oneof.
 */
export const PROTO_LOADER_OPTIONS = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
} as const;

export interface EtcdServices {
  readonly KV: ServiceClientConstructor;
  readonly Watch: ServiceClientConstructor;
  readonly Lease: ServiceClientConstructor;
  readonly Cluster: ServiceClientConstructor;
  readonly Maintenance: ServiceClientConstructor;
  readonly Auth: ServiceClientConstructor;
  /** `v3lockpb.Lock` */
  readonly Lock: ServiceClientConstructor;
  /** `v3electionpb.Election` */
  readonly Election: ServiceClientConstructor;
}

let loaded: EtcdServices | undefined;

/** etcd's `etcdserverpb`, `v3lockpb` and `v3electionpb` services, loaded once. Clients (tests, bench) use the same constructors. */
export function etcdServices(): EtcdServices {
  if (loaded !== undefined) return loaded;
  const files = [
    'etcdserverpb/rpc.proto',
    'etcdserverpb/auth.proto',
    'v3lockpb/v3lock.proto',
    'v3electionpb/v3election.proto',
  ];
  const definition = loadSync(files, {
    ...PROTO_LOADER_OPTIONS,
    includeDirs: [protoDirectory()],
  });
  const root = loadPackageDefinition(definition);
  const pb = root.etcdserverpb as GrpcObject;
  const service = (name: string) => pb[name] as ServiceClientConstructor;
  loaded = {
    KV: service('KV'),
    Watch: service('Watch'),
    Lease: service('Lease'),
    Cluster: service('Cluster'),
    Maintenance: service('Maintenance'),
    Auth: service('Auth'),
    Lock: (root.v3lockpb as GrpcObject).Lock as ServiceClientConstructor,
    Election: (root.v3electionpb as GrpcObject).Election as ServiceClientConstructor,
  };
  return loaded;
}

export function serviceDefinition(name: keyof EtcdServices): ServiceDefinition {
  return etcdServices()[name].service;
}
