import type { Server as HttpServer } from 'node:http';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { NodeConfig } from './config.js';
import { timingTicks, transportClusterId } from './config.js';
import { findEngine } from './engines.js';
import type { ServerOp, ServerResult } from './etcd-application.js';
import { EtcdApplication } from './etcd-application.js';
import { clusterService } from './grpc/cluster-service.js';
import type { EtcdContext } from './grpc/context.js';
import { electionService } from './grpc/election-service.js';
import { kvService } from './grpc/kv-service.js';
import { leaseService } from './grpc/lease-service.js';
import { lockService } from './grpc/lock-service.js';
import { ETCD_API_VERSION, maintenanceService } from './grpc/maintenance-service.js';
import { serviceDefinition } from './grpc/proto.js';
import { watchService } from './grpc/watch-service.js';
import { startHttpEndpoints } from './http-endpoints.js';
import { LeaseExpirer } from './lease-expirer.js';
import type { ServerLogger } from './logger.js';
import { NodeRuntime } from './node.js';
import { RequestError } from './request-error.js';
import { WatchHub } from './watch-hub.js';

export interface EtcdServerOptions {
  readonly logger: ServerLogger;
  /** The process must exit: the store failed (restart recovers from disk). */
  readonly onFatal: (error: unknown) => void;
  readonly progressNotifyIntervalMs?: number;
  readonly leaseCheckIntervalMs?: number;
}

/** etcd's limit on a request (1.5 MiB) plus gRPC's framing overhead, as etcd configures gRPC. */
const GRPC_RECEIVE_BYTES_MAX = 1.5 * 1024 * 1024 + 512 * 1024;

/**
 * One etcd-compatible member: the node runtime (engine, transport, storage) with the MVCC store as
 * its state machine, the watch hub fed with durable changes, the leader's lease expiry, and the
 * gRPC services on the client URL.
 */
export class EtcdServer {
  private publishTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  private constructor(
    readonly config: NodeConfig,
    readonly runtime: NodeRuntime<ServerOp, ServerResult>,
    readonly app: EtcdApplication,
    private readonly grpc: Server,
    private readonly expirer: LeaseExpirer,
    private readonly http: HttpServer | undefined,
    private readonly logger: ServerLogger,
    /** The client port actually bound (differs from the config's when it asked for port 0). */
    readonly clientPort: number,
  ) {}

  static async start(config: NodeConfig, options: EtcdServerOptions): Promise<EtcdServer> {
    const logger = options.logger;
    const engine = findEngine(config.engine);
    const app = new EtcdApplication();
    const hub = new WatchHub(app.store);
    const runtime = await NodeRuntime.start<ServerOp, ServerResult>({
      nodeId: config.self.nodeId,
      members: config.members.map((member) => member.nodeId),
      peers: new Map(
        config.members
          .filter((member) => member.nodeId !== config.self.nodeId)
          .map((member) => [member.nodeId, member.peerAddress]),
      ),
      listenPeer: config.listenPeer,
      clusterId: transportClusterId(config),
      dataDir: config.dataDir,
      engine,
      engineOptions: {
        ...engine.serverOptions,
        ...engine.timingOptions(
          timingTicks(config).electionTicks,
          timingTicks(config).heartbeatTicks,
        ),
      },
      application: app,
      tickMs: config.tickMs,
      logger,
      nameOf: (nodeId) =>
        config.members.find((member) => member.nodeId === nodeId)?.name ?? String(nodeId),
      onFatal: options.onFatal,
      afterReady: () => {
        const changes = app.takeChanges();
        return () => hub.publish(changes);
      },
    });
    const context: EtcdContext = {
      config,
      runtime,
      app,
      hub,
      logger: logger.child({ component: 'api' }),
      progressNotifyIntervalMs: options.progressNotifyIntervalMs ?? 10 * 60 * 1000,
    };
    const grpc = new Server({
      'grpc.max_receive_message_length': GRPC_RECEIVE_BYTES_MAX,
      'grpc.keepalive_permit_without_calls': 1,
    });
    grpc.addService(serviceDefinition('KV'), kvService(context));
    grpc.addService(serviceDefinition('Watch'), watchService(context));
    grpc.addService(serviceDefinition('Lease'), leaseService(context));
    grpc.addService(serviceDefinition('Cluster'), clusterService(context));
    grpc.addService(serviceDefinition('Maintenance'), maintenanceService(context));
    grpc.addService(serviceDefinition('Lock'), lockService(context));
    grpc.addService(serviceDefinition('Election'), electionService(context));
    let port: number;
    let http: HttpServer | undefined;
    try {
      port = await bind(
        grpc,
        `${hostForGrpc(config.listenClient.host)}:${config.listenClient.port}`,
      );
      if (config.listenMetrics !== undefined)
        http = await startHttpEndpoints(
          { config, runtime, app, version: ETCD_API_VERSION },
          config.listenMetrics.host,
          config.listenMetrics.port,
        );
    } catch (error) {
      grpc.forceShutdown();
      await runtime.stop();
      throw error;
    }
    const expirer = new LeaseExpirer(
      runtime,
      app,
      logger.child({ component: 'lease' }),
      options.leaseCheckIntervalMs ?? 250,
      config.requestTimeoutMs,
    );
    expirer.start();
    const server = new EtcdServer(config, runtime, app, grpc, expirer, http, logger, port);
    server.publishSelf();
    return server;
  }

  /**
   * etcd's publish: a member announces its name and client URLs through the log, so that every
   * member lists them. Retried until it is applied (there may be no leader yet).
   */
  private publishSelf(): void {
    const attempt = () => {
      if (this.stopped) return;
      this.runtime
        .submit(
          {
            type: 'publish',
            request: {
              nodeId: this.config.self.nodeId,
              name: this.config.name,
              clientUrls: this.config.advertiseClientUrls,
            },
          },
          this.config.requestTimeoutMs,
        )
        .then(
          () => this.logger.info('published member attributes to the cluster'),
          (error: unknown) => {
            if (error instanceof RequestError && error.kind === 'stopping') return;
            this.publishTimer = setTimeout(attempt, 200);
          },
        );
    };
    attempt();
  }

  /** Stops serving: gRPC first (no new requests), then the engine, transport and store. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.publishTimer !== undefined) clearTimeout(this.publishTimer);
    this.expirer.stop();
    this.http?.closeAllConnections();
    this.http?.close();
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.grpc.forceShutdown();
        resolve();
      }, 1000);
      this.grpc.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
    await this.runtime.stop();
  }
}

function hostForGrpc(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function bind(server: Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (error, port) => {
      if (error !== null)
        reject(new Error(`cannot listen for clients on ${address}: ${error.message}`));
      else resolve(port);
    });
  });
}
