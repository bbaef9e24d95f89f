import type { ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import type { MvccEvent } from '../../storage/mvcc/index.js';
import type { WatchSubscription } from '../watch-hub.js';
import { WATCHES_MAX } from '../watch-hub.js';
import { watchRefusal } from './auth-guard.js';
import type { EtcdContext } from './context.js';
import { headerOf, refusedAtLearner } from './context.js';
import { type ProtoObject, boolField, bytesField, fromEvent, intField } from './convert.js';

/** Watches on one stream; etcd has no such limit, but every resource here is bounded. */
const WATCHES_PER_STREAM_MAX = 10_000;
/** A client that stops reading: past this many buffered bytes its stream is ended. */
const STREAM_BUFFER_BYTES_MAX = 64 * 1024 * 1024;

interface StreamWatch {
  readonly id: number;
  subscription: WatchSubscription | undefined;
  progressTimer: NodeJS.Timeout | undefined;
  /** Events sent since the last progress tick: a progress notification is then unnecessary. */
  sentSinceProgress: boolean;
}

/** etcd's Watch service: one bidirectional stream carries any number of watches. */
export function watchService(context: EtcdContext): UntypedServiceImplementation {
  return {
    Watch: (call: ServerDuplexStream<ProtoObject, ProtoObject>) => {
      if (!refusedAtLearner(context, call)) new WatchStream(context, call).start();
    },
  };
}

class WatchStream {
  private readonly watches = new Map<number, StreamWatch>();
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly context: EtcdContext,
    private readonly call: ServerDuplexStream<ProtoObject, ProtoObject>,
  ) {}

  start(): void {
    this.call.on('data', (message: ProtoObject) => this.onRequest(message));
    this.call.on('end', () => this.close(true));
    this.call.on('error', () => this.close(false));
    this.call.on('cancelled', () => this.close(false));
  }

  private onRequest(message: ProtoObject): void {
    if (this.closed) return;
    try {
      switch (message.request_union) {
        case 'create_request':
          this.create(message.create_request as ProtoObject);
          break;
        case 'cancel_request':
          this.cancel(intField(message.cancel_request as ProtoObject, 'watch_id'));
          break;
        case 'progress_request':
          this.progressAll();
          break;
        default:
          break; // an empty request: etcd ignores it too
      }
    } catch (error) {
      this.context.logger.warn('bad watch request', { error });
      this.fail(status.INVALID_ARGUMENT, error instanceof Error ? error.message : String(error));
    }
  }

  private create(request: ProtoObject): void {
    const refusal =
      this.context.gate === undefined
        ? undefined
        : watchRefusal(
            this.context.gate,
            this.call.metadata,
            bytesField(request, 'key'),
            bytesField(request, 'range_end'),
          );
    if (refusal !== undefined) {
      // etcd answers a refused watch in the stream, with id -1 and grpc-go's text of the error.
      this.send(
        { watch_id: -1, created: true, canceled: true, cancel_reason: refusal },
        this.context.hub.publishedRevision,
      );
      return;
    }
    const requestedId = intField(request, 'watch_id');
    const id = requestedId !== 0 ? requestedId : this.freeId();
    const revision = this.context.hub.publishedRevision;
    if (
      this.watches.has(id) ||
      this.watches.size >= WATCHES_PER_STREAM_MAX ||
      this.context.hub.size >= WATCHES_MAX
    ) {
      const reason = this.watches.has(id)
        ? 'mvcc: duplicate watch ID provided on the WatchStream'
        : 'mvcc: watcher limit reached';
      this.send({ watch_id: -1, created: true, canceled: true, cancel_reason: reason }, revision);
      return;
    }
    const filters = Array.isArray(request.filters) ? (request.filters as unknown[]) : [];
    const watch: StreamWatch = {
      id,
      subscription: undefined,
      progressTimer: undefined,
      sentSinceProgress: false,
    };
    this.watches.set(id, watch);
    this.send({ watch_id: id, created: true }, revision);
    watch.subscription = this.context.hub.add(
      {
        key: bytesField(request, 'key'),
        rangeEnd: bytesField(request, 'range_end'),
        prevKv: boolField(request, 'prev_kv'),
        noPut: filters.includes('NOPUT'),
        noDelete: filters.includes('NODELETE'),
        onEvents: (events) => this.sendEvents(watch, events),
        onCompacted: (compactRevision) => this.compacted(watch, compactRevision),
      },
      intField(request, 'start_revision'),
    );
    if (boolField(request, 'progress_notify') && this.watches.has(id)) {
      watch.progressTimer = setInterval(
        () => this.progressTick(watch),
        this.context.progressNotifyIntervalMs,
      );
    }
  }

  private freeId(): number {
    while (this.watches.has(this.nextId)) this.nextId++;
    return this.nextId++;
  }

  private sendEvents(watch: StreamWatch, events: MvccEvent[]): void {
    watch.sentSinceProgress = true;
    const last = events[events.length - 1] as MvccEvent;
    this.send(
      { watch_id: watch.id, events: events.map(fromEvent) },
      Math.max(last.kv.modRevision, this.context.hub.publishedRevision),
    );
  }

  /** etcd: the watch is cancelled with the compacted revision, after its created response. */
  private compacted(watch: StreamWatch, compactRevision: number): void {
    this.remove(watch);
    this.send(
      {
        watch_id: watch.id,
        canceled: true,
        compact_revision: compactRevision,
      },
      this.context.hub.publishedRevision,
    );
  }

  private cancel(id: number): void {
    const watch = this.watches.get(id);
    if (watch === undefined) return;
    this.remove(watch);
    this.send({ watch_id: id, canceled: true }, this.context.hub.publishedRevision);
  }

  /** A progress request: each watch hears the revision up to which it has seen everything. */
  private progressAll(): void {
    const revision = this.context.hub.publishedRevision;
    if (this.watches.size === 0) {
      this.send({ watch_id: -1 }, revision);
      return;
    }
    for (const watch of this.watches.values()) this.send({ watch_id: watch.id }, revision);
  }

  private progressTick(watch: StreamWatch): void {
    if (watch.sentSinceProgress) {
      watch.sentSinceProgress = false;
      return;
    }
    this.send({ watch_id: watch.id }, this.context.hub.publishedRevision);
  }

  private remove(watch: StreamWatch): void {
    this.watches.delete(watch.id);
    if (watch.subscription !== undefined) this.context.hub.remove(watch.subscription);
    if (watch.progressTimer !== undefined) clearInterval(watch.progressTimer);
  }

  private send(response: ProtoObject, revision: number): void {
    if (this.closed) return;
    if (this.call.writableLength > STREAM_BUFFER_BYTES_MAX) {
      this.fail(status.RESOURCE_EXHAUSTED, 'synod: the watch stream is not being read');
      return;
    }
    this.call.write({ header: headerOf(this.context, revision), ...response });
  }

  private fail(code: status, details: string): void {
    if (this.closed) return;
    this.close(false);
    this.call.emit('error', { code, details });
  }

  private close(endStream: boolean): void {
    if (this.closed) return;
    this.closed = true;
    for (const watch of [...this.watches.values()]) this.remove(watch);
    if (endStream) this.call.end();
  }
}
