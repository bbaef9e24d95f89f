import type { Server as HttpServer } from 'node:http';
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { Server } from '@grpc/grpc-js';
import type { NodeId } from '../core/ids.js';
import type { PeerAddress } from '../transport/peer-link.js';
import { listenEach } from '../transport/listen.js';
import { AutoCompactor } from './auto-compaction.js';
import { ClientListener } from './client-listener.js';
import type { NodeConfig } from './config.js';
import { timingTicks, transportClusterId } from './config.js';
import { findEngine } from './engines.js';
import type { ServerOp, ServerResult } from './etcd-application.js';
import { EtcdApplication } from './etcd-application.js';
import { AuthGate } from './auth/auth-gate.js';
import { JwtTokens } from './auth/jwt-tokens.js';
import { withAutoTls } from './auto-tls.js';
import { guarded } from './grpc/auth-guard.js';
import { authService } from './grpc/auth-service.js';
import { clusterService } from './grpc/cluster-service.js';
import type { EtcdContext } from './grpc/context.js';
import { electionService } from './grpc/election-service.js';
import { kvService } from './grpc/kv-service.js';
import { leaseService } from './grpc/lease-service.js';
import { lockService } from './grpc/lock-service.js';
import { dataBytes, ETCD_API_VERSION, maintenanceService } from './grpc/maintenance-service.js';
import { serviceDefinition } from './grpc/proto.js';
import { watchService } from './grpc/watch-service.js';
import { httpEndpointsServer, httpHandler } from './http-endpoints.js';
import { MEMBERS_QUERY, membersAnswer } from './join.js';
import { learnerCheck, needsLeaderCheck } from './grpc/cluster-service.js';
import { LeaseExpirer } from './lease-expirer.js';
import type { ServerLogger } from './logger.js';
import { resolveIdentity, withIdentity } from './member-startup.js';
import { bootstrapMembership, memberOfNode } from './membership.js';
import { MembershipKeeper } from './membership-keeper.js';
import { ServerMetrics } from './metrics.js';
import { NodeRuntime } from './node.js';
import { RequestError } from './request-error.js';
import { seedFromRestoredImage } from './restored-image.js';
import { addressesOf } from './urls.js';
import { WatchHub } from './watch-hub.js';

export interface EtcdServerOptions {
  readonly logger: ServerLogger;
  /** The process must exit: the store failed (restart recovers from disk). */
  readonly onFatal: (error: unknown) => void;
  /** This member was removed from the cluster and has stopped serving: the process should exit. */
  readonly onRemoved?: () => void;
  readonly progressNotifyIntervalMs?: number;
  readonly leaseCheckIntervalMs?: number;
}

/** gRPC's framing overhead above --max-request-bytes, as etcd configures gRPC. */
const GRPC_OVERHEAD_BYTES = 512 * 1024;

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
    private readonly clientListener: ClientListener,
    private readonly expirer: LeaseExpirer,
    private readonly compactor: AutoCompactor | undefined,
    private readonly keeper: MembershipKeeper,
    private readonly http: readonly HttpServer[],
    private readonly logger: ServerLogger,
    /**
     * The client ports actually bound, one per --listen-client-urls address (they differ from the
     * config's where it asked for port 0).
     */
    readonly clientPorts: readonly number[],
  ) {}

  /** The first client port bound. */
  get clientPort(): number {
    return this.clientPorts[0]!;
  }

  static async start(given: NodeConfig, options: EtcdServerOptions): Promise<EtcdServer> {
    const logger = options.logger;
    const flags = await withAutoTls(given);
    const engine = findEngine(flags.engine);
    const { identity, members: joinedMembers } = await resolveIdentity(flags, engine, logger);
    const config = withIdentity(flags, identity);
    const self = config.self.nodeId;
    const app = new EtcdApplication(bootstrapMembership(identity.bootstrap));
    const seededRevision = await seedFromRestoredImage(config, app);
    if (seededRevision !== undefined)
      logger.info('starting from a restored snapshot image', { revision: seededRevision });
    const hub = new WatchHub(app.store);
    const metrics = new ServerMetrics();
    // Until the log is applied, dial the members we know of: the initial ones, or those the
    // cluster listed when we joined (the leader may be a member added after the bootstrap).
    const peers = new Map<NodeId, readonly PeerAddress[]>();
    for (const member of joinedMembers ?? app.membership().members)
      if (member.nodeId !== self && member.peerUrls.length > 0)
        peers.set(member.nodeId, addressesOf('peer URL', member.peerUrls));
    // The keeper needs the runtime, and the runtime's transport reports to the keeper.
    const late: { keeper?: MembershipKeeper } = {};
    const runtime: NodeRuntime<ServerOp, ServerResult> = await NodeRuntime.start<
      ServerOp,
      ServerResult
    >({
      nodeId: self,
      // A joining member starts with no configuration and learns it from the log or a snapshot.
      members: identity.joined ? [] : identity.bootstrap.map((member) => member.nodeId),
      peers,
      listenPeer: config.listenPeer,
      clusterId: transportClusterId(config),
      dataDir: config.dataDir,
      engine,
      engineOptions: {
        ...engine.serverOptions,
        snapshotEveryEntries: config.snapshotCount,
        ...(identity.joined ? { join: true } : {}),
        ...engine.timingOptions(
          timingTicks(config).electionTicks,
          timingTicks(config).heartbeatTicks,
        ),
      },
      application: app,
      tickMs: config.tickMs,
      logger,
      nameOf: (nodeId) => {
        const name = memberOfNode(app.membership(), nodeId)?.name;
        return name === undefined || name === '' ? String(nodeId) : name;
      },
      onFatal: options.onFatal,
      peerTls: config.peerTls,
      onWalSync: (seconds) => metrics.observeWalFsync(seconds),
      afterReady: () => {
        const changes = app.takeChanges();
        // From disk at a restart, or from the leader when this member was too far behind.
        if (changes.restored)
          logger.info('loaded a snapshot of the state', { revision: changes.revision });
        return () => hub.publish(changes);
      },
      leaderCheck: {
        needs: needsLeaderCheck,
        check: (op): ServerResult | undefined => learnerCheck(runtime, app, op),
      },
      transportHooks: {
        admit: (nodeId) =>
          late.keeper?.refuses(nodeId) === true
            ? { code: 'removed', reason: `node ${nodeId} was removed from the cluster` }
            : undefined,
        onRefused: (peer, code, reason) => {
          if (code === 'removed') late.keeper?.removedByPeer(peer, reason);
        },
        onQuery: (query) =>
          query.type === MEMBERS_QUERY.type
            ? membersAnswer(identity, app.membership())
            : { error: `unknown query ${String(query.type)}` },
      },
    });
    const gate = new AuthGate(
      app.auth,
      app.tokens,
      config.authToken.kind === 'jwt' ? new JwtTokens(config.authToken.options) : undefined,
    );
    const context: EtcdContext = {
      config,
      runtime,
      app,
      hub,
      gate,
      logger: logger.child({ component: 'api' }),
      progressNotifyIntervalMs: options.progressNotifyIntervalMs ?? 10 * 60 * 1000,
    };
    const grpc = new Server({
      'grpc.max_receive_message_length': config.maxRequestBytes + GRPC_OVERHEAD_BYTES,
      'grpc.keepalive_permit_without_calls': 1,
    });
    const guard = (name: string, service: UntypedServiceImplementation) =>
      guarded(context, gate, name, service);
    const services = {
      KV: guard('KV', kvService(context)),
      Watch: watchService(context),
      Lease: guard('Lease', leaseService(context)),
      Cluster: guard('Cluster', clusterService(context)),
      Maintenance: guard('Maintenance', maintenanceService(context)),
      Auth: authService(context, gate),
      Lock: guard('Lock', lockService(context)),
      Election: guard('Election', electionService(context)),
    } as const;
    for (const [name, implementation] of Object.entries(services)) {
      const definition = serviceDefinition(name as keyof typeof services);
      grpc.addService(definition, metrics.instrumentService(definition, implementation));
    }
    metrics.attach({ config, runtime, app, dataBytes: () => dataBytes(config.dataDir) });
    const endpoints = { config, runtime, app, version: ETCD_API_VERSION, metrics };
    let clientListener: ClientListener | undefined;
    const metricsAddresses = config.listenMetrics ?? [];
    const http = metricsAddresses.map(() =>
      httpEndpointsServer(endpoints, config.metricsSecure ? config.clientTls : undefined),
    );
    try {
      clientListener = await ClientListener.start({
        addresses: config.listenClient,
        tls: config.clientTls,
        grpc,
        http: httpHandler(endpoints),
        onTlsError: (message) => logger.warn(message, { component: 'api' }),
        onHttp2Error: (message) =>
          logger.debug(`dropped a client connection: ${message}`, { component: 'api' }),
      });
      await listenEach(http, metricsAddresses, 'metrics');
    } catch (error) {
      clientListener?.close();
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
    const compactor =
      config.autoCompaction === undefined
        ? undefined
        : new AutoCompactor(
            config.autoCompaction,
            runtime,
            app,
            logger.child({ component: 'compactor' }),
            config.requestTimeoutMs,
          );
    compactor?.start();
    const keeper = new MembershipKeeper(
      runtime,
      app,
      self,
      config.self.memberId.toString(16),
      logger.child({ component: 'membership' }),
      () => void server.stop().then(() => options.onRemoved?.()),
    );
    late.keeper = keeper;
    const server = new EtcdServer(
      config,
      runtime,
      app,
      grpc,
      clientListener,
      expirer,
      compactor,
      keeper,
      http,
      logger,
      clientListener.ports,
    );
    keeper.start();
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
          (result) => {
            if (result.ok) this.logger.info('published member attributes to the cluster');
            // Not in the membership this member has applied yet (it is joining): try again.
            else this.publishTimer = setTimeout(attempt, 200);
          },
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
    this.compactor?.stop();
    this.keeper.stop();
    this.clientListener.close();
    for (const server of this.http) {
      server.closeAllConnections();
      server.close();
    }
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
