import type { EventEmitter } from 'node:events';
import type {
  sendUnaryData,
  ServerUnaryCall,
  ServiceDefinition,
  ServiceError,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { idToHex } from './cluster-ids.js';
import type { NodeConfig } from './config.js';
import type { EtcdApplication, ServerOp, ServerResult } from './etcd-application.js';
import type { NodeRuntime } from './node.js';

/** What the metrics read at scrape time; present once the member has started. */
export interface MetricSources {
  readonly config: NodeConfig;
  readonly runtime: NodeRuntime<ServerOp, ServerResult>;
  readonly app: EtcdApplication;
  /** Bytes of the data directory (etcd's db size is its bbolt file). */
  readonly dataBytes: () => Promise<number>;
}

/** etcd's WAL fsync buckets: 1 ms doubling to 8.192 s (prometheus.ExponentialBuckets(0.001, 2, 14)). */
const WAL_FSYNC_BUCKETS = Array.from({ length: 14 }, (_, index) => 0.001 * 2 ** index);

/** grpc-go's names of the status codes (codes.Code's String), which etcd's grpc_code labels use. */
const GO_CODE_NAMES: readonly string[] = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
];

/**
 * One member's Prometheus registry, with etcd's metric names where etcd has one, plus Node's
 * process metrics. The WAL fsync histogram is observed as syncs happen; everything else is read
 * from the runtime when scraped, so the hot paths carry no metric bookkeeping. A registry per
 * member (not prom-client's global one) keeps members in one process (tests) apart.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly walFsync: Histogram;
  private readonly grpcStarted: Counter;
  private readonly grpcHandled: Counter;
  private sources: MetricSources | undefined;

  constructor() {
    const registers = [this.registry];
    this.walFsync = new Histogram({
      name: 'etcd_disk_wal_fsync_duration_seconds',
      help: 'The latency distributions of fsync called by WAL.',
      buckets: WAL_FSYNC_BUCKETS,
      registers,
    });
    const read = <T>(pick: (sources: MetricSources) => T, fallback: T): T =>
      this.sources === undefined ? fallback : pick(this.sources);
    const gauge = (
      name: string,
      help: string,
      value: (sources: MetricSources) => number | Promise<number>,
    ) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          this.set(await read(value, 0));
        },
      });
    // Totals kept by the runtime are exported as counters, set from the running total at scrape.
    const counter = (name: string, help: string, value: (sources: MetricSources) => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read(value, 0));
        },
      });
    gauge(
      'etcd_server_has_leader',
      'Whether or not a leader exists. 1 is existence, 0 is not.',
      (s) => (s.runtime.leader() === undefined ? 0 : 1),
    );
    gauge(
      'etcd_server_is_leader',
      'Whether or not this member is a leader. 1 if is, 0 otherwise.',
      (s) => (s.runtime.leader() === s.runtime.nodeId ? 1 : 0),
    );
    counter(
      'etcd_server_leader_changes_seen_total',
      'The number of leader changes seen.',
      (s) => s.runtime.metrics().leaderChanges,
    );
    gauge(
      'etcd_server_proposals_committed_total',
      'The total number of consensus proposals committed.',
      (s) => s.runtime.metrics().committedIndex,
    );
    gauge(
      'etcd_server_proposals_applied_total',
      'The total number of consensus proposals applied.',
      (s) => s.runtime.metrics().appliedIndex,
    );
    gauge(
      'etcd_server_proposals_pending',
      'The current number of pending proposals to commit.',
      (s) => s.runtime.metrics().proposalsPending,
    );
    counter(
      'etcd_server_proposals_failed_total',
      'The total number of failed proposals seen.',
      (s) => s.runtime.metrics().proposalsFailed,
    );
    gauge(
      'etcd_mvcc_db_total_size_in_bytes',
      'Total size of the underlying database physically allocated in bytes.',
      (s) => s.dataBytes(),
    );
    gauge(
      'etcd_debugging_mvcc_current_revision',
      'The current revision of store.',
      (s) => s.app.store.currentRevision,
    );
    gauge(
      'etcd_debugging_mvcc_compact_revision',
      'The revision of the last compaction in store.',
      (s) => s.app.store.compactedRevision,
    );
    gauge(
      'etcd_debugging_mvcc_keys_total',
      'Total number of keys (with retained history).',
      (s) => s.app.store.keyCount,
    );
    counter(
      'synod_wal_bytes_written_total',
      'Bytes written to the write-ahead log.',
      (s) => s.runtime.metrics().walBytesWritten,
    );
    counter(
      'etcd_network_snapshot_send_success',
      'Total number of successful snapshot sends.',
      (s) => s.runtime.metrics().snapshotsSent,
    );
    counter(
      'etcd_network_snapshot_receive_success',
      'Total number of successful snapshot receives.',
      (s) => s.runtime.metrics().snapshotsReceived,
    );
    const peerCounter = (name: string, help: string, label: 'To' | 'From', sent: boolean) =>
      new Counter({
        name,
        help,
        labelNames: [label],
        registers,
        collect() {
          this.reset();
          const sources = read((s) => s, undefined);
          if (sources === undefined) return;
          for (const [nodeId, bytes] of sources.runtime.peerBytes()) {
            const member = sources.config.members.find((each) => each.nodeId === nodeId);
            const id = member === undefined ? String(nodeId) : idToHex(member.memberId);
            this.inc({ [label]: id }, sent ? bytes.sent : bytes.received);
          }
        },
      });
    peerCounter(
      'etcd_network_peer_sent_bytes_total',
      'The total number of bytes sent to peers.',
      'To',
      true,
    );
    peerCounter(
      'etcd_network_peer_received_bytes_total',
      'The total number of bytes received from peers.',
      'From',
      false,
    );
    // go-grpc-prometheus's names, which etcd exports.
    this.grpcStarted = new Counter({
      name: 'grpc_server_started_total',
      help: 'Total number of RPCs started on the server.',
      labelNames: ['grpc_type', 'grpc_service', 'grpc_method'],
      registers,
    });
    this.grpcHandled = new Counter({
      name: 'grpc_server_handled_total',
      help: 'Total number of unary RPCs completed on the server, regardless of success or failure.',
      labelNames: ['grpc_type', 'grpc_service', 'grpc_method', 'grpc_code'],
      registers,
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Wraps a service's handlers to count RPCs started (every type) and unary RPCs handled, by
   * status code. Streams are counted when they start only: their end has no single status here.
   */
  instrumentService(
    definition: ServiceDefinition,
    implementation: UntypedServiceImplementation,
  ): UntypedServiceImplementation {
    const wrapped: UntypedServiceImplementation = {};
    for (const [name, handler] of Object.entries(implementation)) {
      const method = definition[name];
      if (method === undefined) {
        wrapped[name] = handler;
        continue;
      }
      const [service = '', methodName = name] = method.path.slice(1).split('/');
      const type = method.requestStream
        ? method.responseStream
          ? 'bidi_stream'
          : 'client_stream'
        : method.responseStream
          ? 'server_stream'
          : 'unary';
      const labels = { grpc_type: type, grpc_service: service, grpc_method: methodName };
      // Children resolved once, so a request pays one increment, not a label lookup.
      const started = this.grpcStarted.labels(labels);
      const handledByCode = new Map<number, ReturnType<Counter['labels']>>();
      const handled = (code: number) => {
        let child = handledByCode.get(code);
        if (child === undefined) {
          child = this.grpcHandled.labels({
            ...labels,
            grpc_code: GO_CODE_NAMES[code] ?? String(code),
          });
          handledByCode.set(code, child);
        }
        child.inc();
      };
      if (type !== 'unary') {
        wrapped[name] = ((call: EventEmitter, ...rest: unknown[]) => {
          started.inc();
          // A stream is handled once: ended by the server (OK), failed with a status, or
          // cancelled by the client, whichever comes first.
          let done = false;
          const finish = (code: number) => {
            if (done) return;
            done = true;
            handled(code);
          };
          call.once('finish', () => finish(GrpcStatus.OK));
          call.once('error', (error: Partial<ServiceError>) =>
            finish(error.code ?? GrpcStatus.UNKNOWN),
          );
          call.once('cancelled', () => finish(GrpcStatus.CANCELLED));
          return (handler as (...args: unknown[]) => unknown)(call, ...rest);
        }) as typeof handler;
        continue;
      }
      const unaryHandler = handler as (
        call: ServerUnaryCall<unknown, unknown>,
        callback: sendUnaryData<unknown>,
      ) => void;
      wrapped[name] = ((
        call: ServerUnaryCall<unknown, unknown>,
        callback: sendUnaryData<unknown>,
      ) => {
        started.inc();
        unaryHandler(call, (error, value, ...rest) => {
          handled(
            error === null ? GrpcStatus.OK : ((error as ServiceError).code ?? GrpcStatus.UNKNOWN),
          );
          callback(error, value, ...rest);
        });
      }) as typeof handler;
    }
    return wrapped;
  }

  /** Called once the member runs: from then on scrapes read it. */
  attach(sources: MetricSources): void {
    this.sources = sources;
  }

  observeWalFsync(seconds: number): void {
    this.walFsync.observe(seconds);
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
