import { assert } from '../../core/assert.js';
import type { NodeId } from '../../core/ids.js';
import { type KvResult, evaluateKvOp } from '../../core/kv.js';
import type {
  ClientRequest,
  NodeContext,
  NodeInspection,
  ProtocolNode,
} from '../../core/protocol.js';
import { backupAcksRequired, shipsImmediately } from './ack-rule.js';
import { type EntryId, EntryLog, applyWrites } from './entry-log.js';
import { FailoverTimer, primaryOf } from './failover.js';
import type {
  LogEntry,
  PrimaryBackupMessage,
  ReplicationMessage,
  ReplicationRecord,
} from './messages.js';
import type { PrimaryBackupVariant, ReplicationOptions } from './options.js';
import { ReplicaBase } from './replica-base.js';

/** What the primary knows of one backup in its view. */
interface BackupProgress {
  /** Whether the backup holds this view's log (it acknowledged an install, or started with it). */
  installed: boolean;
  readonly stored: Set<number>;
}

/** A write the primary applied and has not acknowledged yet: it waits for backups. */
interface PendingWrite {
  readonly requestId: number;
  readonly result: KvResult;
}

/**
 * One replica of the primary–backup strategies (default = synchronous, async, semisync). The
 * primary of the current view evaluates every client operation on its own state, appends the
 * writes to its log, and acknowledges once `backupAcksRequired` backups stored the entry
 * (ack-rule.ts). Backups only store. Failover follows failover.ts. Reads are served by the primary
 * from its own state, which is why a primary that lost its place (or a new one that lacks a write)
 * answers wrongly.
 */
export class PrimaryBackupNode
  extends ReplicaBase
  implements ProtocolNode<ReplicationMessage, ReplicationRecord>
{
  private readonly timer: FailoverTimer;
  private readonly log = new EntryLog();
  private view = 0;
  /** As a backup: whether this log is the current view's primary's log. */
  private installed: boolean;
  /** As primary: the state every held entry produced. */
  private state = new Map<string, string>();
  private readonly backups = new Map<NodeId, BackupProgress>();
  private readonly pending = new Map<number, PendingWrite>();
  /** Entries this incarnation acknowledged to a client, for the invariant checker. */
  private readonly acknowledged: EntryId[] = [];

  constructor(
    context: NodeContext<ReplicationRecord>,
    private readonly variant: PrimaryBackupVariant,
    private readonly options: ReplicationOptions,
  ) {
    super(context);
    this.timer = new FailoverTimer(options.failoverTicks);
    this.restore(context.restored);
    // On first boot every replica starts with the same (empty) log; after a restart nobody knows.
    this.installed = context.restored.length === 0;
    if (this.isPrimary()) this.becomePrimary(this.installed ? 'boot' : 'restart');
  }

  isPrimary(): boolean {
    return primaryOf(this.view, this.members) === this.id;
  }

  currentView(): number {
    return this.view;
  }

  holds(id: EntryId): boolean {
    return this.log.holds(id);
  }

  acknowledgedEntries(): readonly EntryId[] {
    return this.acknowledged;
  }

  step(from: NodeId, message: ReplicationMessage): void {
    if (!this.members.includes(from)) return;
    switch (message.type) {
      case 'replicate':
      case 'install':
        this.onFromPrimary(from, message);
        return;
      case 'ack':
        this.onAck(from, message);
        return;
      default:
        return; // a quorum message: not for this strategy
    }
  }

  tick(): void {
    if (this.isPrimary()) {
      for (const backup of this.backups.keys()) this.ship(backup);
      return;
    }
    if (!this.timer.tick()) return;
    const next = this.view + 1;
    this.out.note(
      'failover',
      `no word from primary ${primaryOf(this.view, this.members)} for ${this.options.failoverTicks} ticks: view ${next}, primary ${primaryOf(next, this.members)}`,
    );
    this.adoptView(next);
  }

  request(request: ClientRequest): void {
    if (!this.isPrimary()) {
      this.out.respond({
        id: request.id,
        outcome: 'fail',
        error: 'not the primary',
        leaderHint: primaryOf(this.view, this.members),
      });
      return;
    }
    if (this.pending.size >= this.options.pendingRequestsMax) {
      this.out.respond({ id: request.id, outcome: 'fail', error: 'too many pending writes' });
      return;
    }
    const effect = evaluateKvOp(this.state, request.op);
    if (effect.writes.length === 0) {
      this.out.respond({ id: request.id, outcome: 'ok', result: effect.result });
      return;
    }
    const entry: LogEntry = {
      index: this.log.lastIndex() + 1,
      view: this.view,
      writes: effect.writes,
    };
    this.log.store(entry);
    applyWrites(this.state, entry);
    this.out.persist({ kind: 'entry', entry });
    this.pending.set(entry.index, { requestId: request.id, result: effect.result });
    this.answerStoredWrites();
    if (shipsImmediately(this.variant))
      for (const [backup, progress] of this.backups)
        if (progress.installed)
          this.out.send(backup, { type: 'replicate', view: this.view, entries: [entry] });
  }

  inspect(): NodeInspection {
    return {
      role: this.isPrimary() ? 'primary' : 'backup',
      epoch: { name: 'view', value: this.view },
      leader: primaryOf(this.view, this.members),
      state: {
        view: this.view,
        installed: this.installed,
        log: this.log.all(),
        holes: this.log.holes(),
        kv: Object.fromEntries(this.isPrimary() ? this.state : this.log.fold()),
        pendingWrites: [...this.pending.keys()],
      },
    };
  }

  private restore(records: readonly ReplicationRecord[]): void {
    for (const record of records) {
      if (record.kind === 'view') this.view = Math.max(this.view, record.view);
      else if (record.kind === 'entry') this.log.store(record.entry);
    }
  }

  /**
   * Takes over the current view (or resumes it after a restart): the state is whatever this log
   * holds, holes and all, and every backup is told to replace its log by this one.
   */
  private becomePrimary(reason: 'boot' | 'restart' | 'takeover'): void {
    this.state = this.log.fold();
    this.pending.clear();
    this.backups.clear();
    for (const member of this.members)
      if (member !== this.id)
        this.backups.set(member, { installed: reason === 'boot', stored: new Set() });
    if (reason === 'boot') return;
    const holes = this.log.holes();
    this.out.note(
      'primary',
      `node ${this.id} is primary of view ${this.view} (${reason}) with ${this.log.size} entries${holes.length > 0 ? `, missing ${holes.join(', ')}` : ''}`,
    );
    for (const backup of this.backups.keys()) this.ship(backup);
  }

  /** Sends a backup what it lacks: the whole log if it is not installed, else unstored entries. */
  private ship(backup: NodeId): void {
    const progress = this.backups.get(backup);
    assert(progress !== undefined, `unknown backup ${backup}`);
    if (!progress.installed) {
      this.out.send(backup, { type: 'install', view: this.view, entries: this.log.all() });
      return;
    }
    const entries = this.log
      .all()
      .filter((entry) => !progress.stored.has(entry.index))
      .slice(0, this.options.shipEntriesMax);
    this.out.send(backup, { type: 'replicate', view: this.view, entries });
  }

  private onFromPrimary(
    from: NodeId,
    message: Extract<PrimaryBackupMessage, { type: 'replicate' | 'install' }>,
  ): void {
    if (message.view < this.view) {
      // A stale primary: tell it which view the cluster is in, so that it steps down.
      this.out.send(from, { type: 'ack', view: this.view, installed: false, indexes: [] });
      return;
    }
    if (primaryOf(message.view, this.members) !== from || from === this.id) return;
    if (message.view > this.view) this.adoptView(message.view);
    this.timer.heard();
    if (message.type === 'install') {
      this.log.replace(message.entries);
      this.installed = true;
      this.out.replace([
        { kind: 'view', view: this.view },
        ...this.log.all().map((entry) => ({ kind: 'entry' as const, entry })),
      ]);
      this.acknowledge(from, this.log.indexes());
      return;
    }
    if (!this.installed) {
      this.out.send(from, { type: 'ack', view: this.view, installed: false, indexes: [] });
      return;
    }
    for (const entry of message.entries)
      if (this.log.store(entry)) this.out.persist({ kind: 'entry', entry });
    this.acknowledge(
      from,
      message.entries.map((entry) => entry.index),
    );
  }

  private acknowledge(primary: NodeId, indexes: readonly number[]): void {
    this.out.send(primary, { type: 'ack', view: this.view, installed: true, indexes });
  }

  private onAck(from: NodeId, message: Extract<PrimaryBackupMessage, { type: 'ack' }>): void {
    if (message.view > this.view) {
      this.out.note(
        'step-down',
        `node ${from} is in view ${message.view}: node ${this.id} follows`,
      );
      this.adoptView(message.view);
      return;
    }
    const progress = this.backups.get(from);
    if (!this.isPrimary() || message.view < this.view || progress === undefined) return;
    progress.installed = message.installed;
    if (!message.installed) return;
    for (const index of message.indexes) progress.stored.add(index);
    this.answerStoredWrites();
  }

  /** Acknowledges every pending write that enough backups have stored (ack-rule.ts). */
  private answerStoredWrites(): void {
    const required = backupAcksRequired(this.variant, this.backups.size, this.options);
    for (const [index, write] of this.pending) {
      let stored = 0;
      for (const progress of this.backups.values()) if (progress.stored.has(index)) stored++;
      if (stored < required) continue;
      this.pending.delete(index);
      this.acknowledged.push({ view: this.view, index });
      this.out.respond({ id: write.requestId, outcome: 'ok', result: write.result });
    }
  }

  /** Moves to a higher view: as its primary this node takes over, otherwise it waits for an install. */
  private adoptView(view: number): void {
    assert(view > this.view, `view ${view} is not above ${this.view}`);
    if (this.isPrimary() && this.pending.size > 0)
      this.out.note('step-down', `${this.pending.size} unacknowledged writes left unanswered`);
    this.view = view;
    this.installed = false;
    this.pending.clear();
    this.backups.clear();
    this.timer.heard();
    this.out.persist({ kind: 'view', view });
    if (this.isPrimary()) this.becomePrimary('takeover');
  }
}
