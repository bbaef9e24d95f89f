import { assert } from '../../core/assert.js';
import { SynodError } from '../../core/errors.js';
import type { NodeId } from '../../core/ids.js';
import { isReadyEmpty } from '../../core/protocol.js';
import type {
  Envelope,
  NodeContext,
  NodeInspection,
  PersistOp,
  ProtocolNote,
} from '../../core/protocol.js';
import { type QuorumSystem, majorityQuorum } from '../../core/quorum.js';
import type { KvCommand } from '../../core/replicated-kv.js';
import type {
  CommittedEntry,
  LogReady,
  ReadState,
  ReplicatedLog,
} from '../../core/replicated-log.js';
import type {
  AppendMessage,
  AppendReplyMessage,
  FixedLeaderMessage,
  FixedLeaderRecord,
  LogEntry,
} from './messages.js';

export interface FixedLeaderOptions {
  /** Ticks between two rounds of appends to every follower (heartbeat and retransmission). */
  readonly heartbeatTicks: number;
  /** Entries per append message at most. */
  readonly appendEntriesMax: number;
}

export const DEFAULT_FIXED_LEADER_OPTIONS: FixedLeaderOptions = {
  heartbeatTicks: 5,
  appendEntriesMax: 64,
};

export function parseFixedLeaderOptions(
  options: Readonly<Record<string, unknown>>,
): FixedLeaderOptions {
  const result: Record<string, number> = { ...DEFAULT_FIXED_LEADER_OPTIONS };
  for (const [name, value] of Object.entries(options)) {
    if (!(name in DEFAULT_FIXED_LEADER_OPTIONS))
      throw new SynodError(
        'BAD_OPTIONS',
        `fixed-leader has no option ${JSON.stringify(name)} (known: ${Object.keys(DEFAULT_FIXED_LEADER_OPTIONS).join(', ')})`,
      );
    if (!Number.isSafeInteger(value) || (value as number) < 1)
      throw new SynodError('BAD_OPTIONS', `fixed-leader option ${name} must be an integer >= 1`);
    result[name] = value as number;
  }
  return result as unknown as FixedLeaderOptions;
}

/** The variant whose leader acknowledges appends before they are durable on its own disk. */
export const ACK_BEFORE_SYNC = 'ack-before-sync';

/** Shown in `inspect()`: the tail of the log, so the visualizer stays light on long runs. */
const INSPECT_ENTRIES_MAX = 32;

/**
 * A replicated log with a leader that never changes: the lowest member id. The leader appends
 * commands, persists them, replicates them to the followers, and commits an index once a majority
 * (itself included) holds it durably. No elections, so no split brain — and no availability while
 * the leader is down. See README.md for the rules and where they live.
 */
export class FixedLeaderEngine implements ReplicatedLog<
  KvCommand,
  FixedLeaderMessage,
  FixedLeaderRecord
> {
  readonly id: NodeId;
  readonly leaderId: NodeId;
  readonly isLeader: boolean;
  /** Leader: its boot count. Follower: the highest leader epoch it has seen. */
  epoch = 0;
  commitIndex = 0;
  /** Bumped whenever entries are removed from the log, so checkers know to look again. */
  logVersion = 0;
  private readonly log: LogEntry[] = [];
  private readonly options: FixedLeaderOptions;
  private readonly syncAppends: boolean;
  private readonly quorum: QuorumSystem;
  private readonly followers: NodeId[];
  /** Leader only: highest index known to match on each follower, and the next index to send. */
  private readonly matchIndex = new Map<NodeId, number>();
  private readonly nextIndex = new Map<NodeId, number>();
  private ticksSinceHeartbeat = 0;
  /** Committed entries handed to the state machine so far (never decreases). */
  private emittedIndex = 0;
  private out: LogReady<KvCommand, FixedLeaderMessage, FixedLeaderRecord> = freshReady();

  constructor(context: NodeContext<FixedLeaderRecord>) {
    this.id = context.id;
    this.options = parseFixedLeaderOptions(context.options);
    assert(context.members.includes(context.id), `node ${context.id} is not a member`);
    this.leaderId = Math.min(...context.members);
    this.isLeader = this.id === this.leaderId;
    this.syncAppends = context.variant !== ACK_BEFORE_SYNC;
    this.quorum = majorityQuorum(context.members);
    this.followers = context.members.filter((id) => id !== this.leaderId);
    this.restore(context.restored);
    if (this.isLeader) this.becomeLeader();
  }

  get lastIndex(): number {
    return this.log.length;
  }

  entryAt(index: number): LogEntry | undefined {
    return this.log[index - 1];
  }

  propose(command: KvCommand): boolean {
    if (!this.isLeader) return false;
    const entry: LogEntry = { index: this.lastIndex + 1, epoch: this.epoch, command };
    this.log.push(entry);
    this.persist({ kind: 'append', records: [{ kind: 'entry', entry }] }, this.syncAppends);
    for (const follower of this.followers)
      if (this.nextIndex.get(follower) === entry.index) this.sendAppend(follower);
    this.advanceCommit();
    return true;
  }

  leader(): NodeId | undefined {
    return this.leaderId;
  }

  /**
   * Only the leader serves reads. Its log holds every committed entry (nobody else appends), so
   * once it has applied through its last index its state is at least as new as any committed write.
   */
  requestReadBarrier(readId: number): boolean {
    if (!this.isLeader) return false;
    this.out.readStates.push({ readId, index: this.lastIndex });
    return true;
  }

  /** The log is never compacted: runs are short, and keeping it whole lets checkers see it all. */
  compact(_index: number, _snapshot: unknown): void {}

  step(from: NodeId, message: FixedLeaderMessage): void {
    if (message.type === 'append') {
      if (!this.isLeader && from === this.leaderId) this.onAppend(message);
    } else if (this.isLeader && this.matchIndex.has(from)) this.onAppendReply(from, message);
  }

  tick(): void {
    if (!this.isLeader) return;
    if (++this.ticksSinceHeartbeat < this.options.heartbeatTicks) return;
    this.ticksSinceHeartbeat = 0;
    for (const follower of this.followers) {
      // Resend everything not yet acknowledged: appends or replies may have been lost.
      this.nextIndex.set(follower, (this.matchIndex.get(follower) ?? 0) + 1);
      this.sendAppend(follower);
    }
  }

  hasReady(): boolean {
    const out = this.out;
    return !isReadyEmpty(out) || out.committed.length > 0 || out.readStates.length > 0;
  }

  ready(): LogReady<KvCommand, FixedLeaderMessage, FixedLeaderRecord> {
    const batch = this.out;
    this.out = freshReady();
    return batch;
  }

  inspect(): NodeInspection {
    return {
      role: this.isLeader ? 'leader' : 'follower',
      epoch: { name: 'epoch', value: this.epoch },
      leader: this.leaderId,
      state: {
        lastIndex: this.lastIndex,
        commitIndex: this.commitIndex,
        log: this.log.slice(-INSPECT_ENTRIES_MAX),
        ...(this.isLeader ? { matchIndex: Object.fromEntries(this.matchIndex) } : {}),
      },
    };
  }

  private restore(records: readonly FixedLeaderRecord[]): void {
    for (const record of records) {
      if (record.kind === 'epoch') this.epoch = Math.max(this.epoch, record.epoch);
      else {
        // Records are in log order; a replace rewrote the whole log, so indexes are contiguous.
        assert(
          record.entry.index === this.log.length + 1,
          `gap in restored log at ${record.entry.index}`,
        );
        this.log.push(record.entry);
        this.epoch = Math.max(this.epoch, record.entry.epoch);
      }
    }
  }

  /** A leader boots into a new epoch, durably, so entries of different boots never share a name. */
  private becomeLeader(): void {
    this.epoch++;
    this.persist({ kind: 'append', records: [{ kind: 'epoch', epoch: this.epoch }] }, true);
    this.note('epoch', `leader starts epoch ${this.epoch} with ${this.lastIndex} entries`);
    for (const follower of this.followers) {
      this.matchIndex.set(follower, 0);
      this.nextIndex.set(follower, this.lastIndex + 1);
      this.sendAppend(follower);
    }
    this.advanceCommit();
  }

  private sendAppend(follower: NodeId): void {
    const nextIndex = this.nextIndex.get(follower) ?? this.lastIndex + 1;
    const prevIndex = nextIndex - 1;
    const entries = this.log.slice(prevIndex, prevIndex + this.options.appendEntriesMax);
    const message: AppendMessage = {
      type: 'append',
      epoch: this.epoch,
      prevIndex,
      prevEpoch: this.entryAt(prevIndex)?.epoch ?? 0,
      entries,
      commitIndex: this.commitIndex,
    };
    this.nextIndex.set(follower, prevIndex + entries.length + 1);
    this.send(follower, message);
  }

  private onAppendReply(from: NodeId, reply: AppendReplyMessage): void {
    if (reply.epoch !== this.epoch) return; // about a log of an earlier boot: meaningless now
    if (reply.ok) {
      if (reply.matchIndex > (this.matchIndex.get(from) ?? 0))
        this.matchIndex.set(from, reply.matchIndex);
      this.advanceCommit();
      return;
    }
    // Back up to where the follower's log may match, never below what it has acknowledged.
    const match = this.matchIndex.get(from) ?? 0;
    this.nextIndex.set(
      from,
      Math.max(match + 1, Math.min(reply.lastIndex + 1, this.lastIndex + 1)),
    );
    this.sendAppend(from);
  }

  /** Rule: an index is committed once a majority, the leader included, holds it durably. */
  private advanceCommit(): void {
    const acked = new Map(this.matchIndex);
    acked.set(this.id, this.lastIndex);
    const quorumIndex = this.quorum.committedIndex(acked);
    if (quorumIndex > this.commitIndex) this.commitIndex = quorumIndex;
    this.emitCommitted();
  }

  private onAppend(message: AppendMessage): void {
    if (message.epoch < this.epoch) return; // a delayed message from an earlier boot of the leader
    if (message.epoch > this.epoch) {
      this.epoch = message.epoch;
      this.persist({ kind: 'append', records: [{ kind: 'epoch', epoch: message.epoch }] }, true);
    }
    const { prevIndex } = message;
    if (prevIndex > this.lastIndex || (this.entryAt(prevIndex)?.epoch ?? 0) !== message.prevEpoch) {
      const lastIndex = Math.min(this.lastIndex, prevIndex - 1);
      this.reply({
        type: 'append-reply',
        epoch: message.epoch,
        ok: false,
        matchIndex: 0,
        lastIndex,
      });
      return;
    }
    this.appendEntries(message.entries);
    const matchIndex = prevIndex + message.entries.length;
    this.reply({
      type: 'append-reply',
      epoch: message.epoch,
      ok: true,
      matchIndex,
      lastIndex: this.lastIndex,
    });
    // Only what is known to match the leader's log may be marked committed here.
    const commitIndex = Math.min(message.commitIndex, matchIndex);
    if (commitIndex > this.commitIndex) this.commitIndex = commitIndex;
    this.emitCommitted();
  }

  /** Appends what is new; a conflicting suffix (another epoch at an index) is cut off first. */
  private appendEntries(entries: readonly LogEntry[]): void {
    let first = 0;
    while (first < entries.length) {
      const entry = entries[first]!;
      const existing = this.entryAt(entry.index);
      if (existing === undefined) break;
      if (existing.epoch !== entry.epoch) {
        this.truncateFrom(entry.index);
        break;
      }
      first++;
    }
    const fresh = entries.slice(first);
    if (fresh.length === 0) return;
    assert(fresh[0]!.index === this.lastIndex + 1, `append leaves a gap at ${fresh[0]!.index}`);
    for (const entry of fresh) this.log.push(entry);
    this.persist(
      { kind: 'append', records: fresh.map((entry) => ({ kind: 'entry', entry })) },
      true,
    );
  }

  private truncateFrom(index: number): void {
    this.note('truncate', `log truncated from index ${index} (had ${this.lastIndex})`, { index });
    this.log.length = index - 1;
    this.logVersion++;
    if (this.commitIndex > this.lastIndex) this.commitIndex = this.lastIndex;
    const records: FixedLeaderRecord[] = [{ kind: 'epoch', epoch: this.epoch }];
    for (const entry of this.log) records.push({ kind: 'entry', entry });
    this.persist({ kind: 'replace', records }, true);
  }

  private emitCommitted(): void {
    if (this.commitIndex <= this.emittedIndex) return;
    const from = this.emittedIndex + 1;
    for (let index = from; index <= this.commitIndex; index++) {
      const entry = this.entryAt(index)!;
      const committed: CommittedEntry<KvCommand> = { index, command: entry.command };
      this.out.committed.push(committed);
    }
    this.emittedIndex = this.commitIndex;
    this.note('commit', `committed ${from}..${this.commitIndex}`, { from, to: this.commitIndex });
  }

  private persist(op: PersistOp<FixedLeaderRecord>, sync: boolean): void {
    this.out.persist.push(op);
    // One batch, one sync flag: a batch that holds any write needing fsync is synced whole.
    if (sync) this.out.sync = true;
    else if (this.out.persist.length === 1) this.out.sync = false;
  }

  private send(to: NodeId, message: FixedLeaderMessage): void {
    const envelope: Envelope<FixedLeaderMessage> = { from: this.id, to, message };
    this.out.messages.push(envelope);
  }

  private reply(message: AppendReplyMessage): void {
    this.send(this.leaderId, message);
  }

  private note(kind: string, text: string, data?: unknown): void {
    const note: ProtocolNote = data === undefined ? { kind, text } : { kind, text, data };
    this.out.notes.push(note);
  }
}

function freshReady(): LogReady<KvCommand, FixedLeaderMessage, FixedLeaderRecord> {
  const readStates: ReadState[] = [];
  return {
    persist: [],
    sync: true,
    messages: [],
    responses: [],
    notes: [],
    committed: [],
    readStates,
  };
}
