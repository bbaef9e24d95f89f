import { MvccErrors } from '../storage/mvcc/index.js';
import type { EtcdApplication, ServerOp, ServerResult } from './etcd-application.js';
import type { ServerLogger } from './logger.js';
import type { NodeRuntime } from './node.js';

/**
 * etcd's auto-compaction (--auto-compaction-mode, --auto-compaction-retention): the leader compacts
 * the key space's history behind a window, so that a long-running cluster does not keep every
 * revision forever (Synod holds the history in memory, so without it memory only grows).
 *
 * - `periodic`: keep about `retention` of history. The revision is sampled every tenth of the
 *   compaction interval (the retention, at most an hour); once `retention` has passed, and then
 *   every interval, the store is compacted to the oldest sample still in the window.
 * - `revision`: every five minutes, compact to the current revision minus `retention`.
 *
 * Only the leader compacts; a follower keeps sampling, so that it can take over with a full window.
 */
export type AutoCompaction =
  | { readonly mode: 'periodic'; readonly retentionMs: number }
  | { readonly mode: 'revision'; readonly retentionRevisions: number };

const HOUR_MS = 60 * 60 * 1000;
/** etcd's revision compactor looks every five minutes. */
export const REVISION_CHECK_MS = 5 * 60 * 1000;

/** Decides when to compact and to which revision; pure, so tests drive it with their own clock. */
export class AutoCompactionPlanner {
  private readonly samples: number[] = [];
  private lastSuccessMs: number;
  private waitMs: number;
  private lastRevision = 0;

  constructor(
    private readonly policy: AutoCompaction,
    startMs: number,
  ) {
    this.lastSuccessMs = startMs;
    this.waitMs = policy.mode === 'periodic' ? policy.retentionMs : 0;
  }

  /** How often `next` should be called. */
  get checkIntervalMs(): number {
    if (this.policy.mode === 'revision') return REVISION_CHECK_MS;
    return Math.max(1, Math.floor(this.compactIntervalMs() / 10));
  }

  /** The revision to compact to now, or undefined. */
  next(nowMs: number, currentRevision: number, isLeader: boolean): number | undefined {
    if (this.policy.mode === 'revision') {
      if (!isLeader) return undefined;
      const revision = currentRevision - this.policy.retentionRevisions;
      return revision <= 0 || revision === this.lastRevision ? undefined : revision;
    }
    this.samples.push(currentRevision);
    const kept = Math.floor(this.policy.retentionMs / this.checkIntervalMs) + 1;
    if (this.samples.length > kept) this.samples.splice(0, this.samples.length - kept);
    if (!isLeader || nowMs - this.lastSuccessMs < this.waitMs) return undefined;
    return this.samples[0];
  }

  /** The store is compacted to `revision` (or already was, past it). */
  compacted(nowMs: number, revision: number): void {
    this.lastSuccessMs = nowMs;
    this.lastRevision = revision;
    // After the first compaction, one interval between compactions (etcd's compactInterval).
    if (this.policy.mode === 'periodic') this.waitMs = this.compactIntervalMs();
  }

  private compactIntervalMs(): number {
    return this.policy.mode === 'periodic' ? Math.min(this.policy.retentionMs, HOUR_MS) : 0;
  }
}

/** Runs the planner on the member: a timer, and a compaction proposed through the log. */
export class AutoCompactor {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly planner: AutoCompactionPlanner;

  constructor(
    policy: AutoCompaction,
    private readonly runtime: NodeRuntime<ServerOp, ServerResult>,
    private readonly app: EtcdApplication,
    private readonly logger: ServerLogger,
    private readonly requestTimeoutMs: number,
  ) {
    this.planner = new AutoCompactionPlanner(policy, Date.now());
  }

  start(): void {
    this.timer = setInterval(() => this.check(), this.planner.checkIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  private check(): void {
    if (this.running) return;
    const isLeader = this.runtime.leader() === this.runtime.nodeId;
    const revision = this.planner.next(Date.now(), this.app.store.currentRevision, isLeader);
    if (revision === undefined || revision <= this.app.store.compactedRevision) return;
    this.running = true;
    this.logger.info('starting auto-compaction', { revision });
    this.runtime
      .submit({ type: 'compaction', request: { revision, physical: false } }, this.requestTimeoutMs)
      .then(
        (result) => {
          // Compacted already at or past it (a client did): done all the same, as etcd counts it.
          if (result.ok || result.error.message === MvccErrors.compacted.message) {
            this.planner.compacted(Date.now(), revision);
            this.logger.info('finished auto-compaction', { revision });
          } else this.logger.warn('auto-compaction failed', { revision, error: result.error });
        },
        (error: unknown) => this.logger.warn('auto-compaction failed', { revision, error }),
      )
      .finally(() => {
        this.running = false;
      });
  }
}
