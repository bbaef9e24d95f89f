import { assert } from '../core/assert.js';
import type { NodeId } from '../core/ids.js';
import type { ReplicatedApplication } from '../core/replicated-state-machine.js';
import { MvccStore } from '../storage/mvcc/index.js';
import type {
  MvccCommand,
  MvccError,
  MvccEvent,
  MvccSnapshot,
  SnapshotRecord,
} from '../storage/mvcc/index.js';
import { LeaseClock } from './lease-clock.js';

/** A member's client-facing attributes, published through the log as etcd's members do. */
export interface MemberAttributes {
  readonly nodeId: NodeId;
  readonly name: string;
  readonly clientUrls: readonly string[];
}

/**
 * What the server puts in the log: an MVCC command, a lease renewal (so every replica's lease
 * clock hears of it, and any member can answer TimeToLive), or a member publishing its client URLs.
 */
export type ServerOp =
  | MvccCommand
  | { readonly type: 'leaseRenew'; readonly request: { readonly id: number } }
  | { readonly type: 'publish'; readonly request: MemberAttributes };

/** A command's outcome. `response` is the MVCC response for MVCC commands (see `CommandResponse`). */
export type ServerResult =
  | { readonly ok: true; readonly response: unknown; readonly revision: number }
  | { readonly ok: false; readonly error: MvccError };

/** The replicated state: the MVCC store and the published member attributes. */
interface ServerSnapshot {
  readonly mvcc: MvccSnapshot;
  readonly members: readonly MemberAttributes[];
}

/** Keys read per event-loop turn while a snapshot is gathered (a few milliseconds of work). */
const SNAPSHOT_KEYS_PER_TURN = 4096;
/** A log entry's framing, ids and JSON field names. */
const COMMAND_OVERHEAD_BYTES = 64;

/** The string lengths inside a request (keys, values, nested txn ops), bounded in depth. */
function stringBytes(value: unknown, depth: number): number {
  if (typeof value === 'string') return value.length;
  if (typeof value !== 'object' || value === null || depth > 8) return 0;
  let total = 0;
  for (const field of Object.values(value)) total += stringBytes(field, depth + 1);
  return total;
}

/** Changes produced by applying entries, for the watch hub to publish once they are durable. */
export interface AppliedChanges {
  readonly events: MvccEvent[];
  /** The store's revision after the last applied entry. */
  revision: number;
  /** A snapshot replaced the state: watchers must catch up from the store, not from `events`. */
  restored: boolean;
}

/**
 * The server's state machine, as the `ReplicatedStateMachine` drives it: committed commands go to
 * the MVCC store; ranges (the only read-only op) are served by `read` after a read barrier.
 * Watch events are collected per drained batch (`takeChanges`) so the runtime can publish them
 * only after that batch is durable.
 */
export class EtcdApplication implements ReplicatedApplication<ServerOp, ServerResult> {
  readonly store = new MvccStore();
  readonly leaseClock: LeaseClock;
  private readonly members = new Map<NodeId, MemberAttributes>();
  private changes: AppliedChanges;

  constructor(nowMs: () => number = Date.now) {
    this.leaseClock = new LeaseClock(nowMs);
    this.changes = { events: [], revision: this.store.currentRevision, restored: false };
  }

  isReadOnly(op: ServerOp): boolean {
    return op.type === 'range';
  }

  apply(op: ServerOp): ServerResult {
    switch (op.type) {
      case 'leaseRenew': {
        const lease = this.store.lease(op.request.id);
        if (lease === undefined)
          return this.fail({ code: 'NotFound', message: 'etcdserver: requested lease not found' });
        this.leaseClock.renew(lease.id, lease.ttl);
        return {
          ok: true,
          response: { id: lease.id, ttl: lease.ttl },
          revision: this.store.currentRevision,
        };
      }
      case 'publish': {
        this.members.set(op.request.nodeId, op.request);
        return { ok: true, response: {}, revision: this.store.currentRevision };
      }
      default:
        return this.applyMvcc(op);
    }
  }

  read(op: ServerOp): ServerResult {
    assert(op.type === 'range', 'only ranges are served as reads');
    const outcome = this.store.range(op.request);
    return outcome.ok
      ? { ok: true, response: outcome.response, revision: this.store.currentRevision }
      : { ok: false, error: outcome.error };
  }

  snapshot(): ServerSnapshot {
    return { mvcc: this.store.snapshot(), members: [...this.members.values()] };
  }

  /**
   * `snapshot()` without stopping the member: the state is pinned now (`openSnapshot`, the member
   * list, the leases) and its records are gathered a chunk of keys per event-loop turn while
   * commands keep applying.
   */
  async snapshotAsync(): Promise<ServerSnapshot> {
    const reader = this.store.openSnapshot();
    const members = [...this.members.values()];
    const records: SnapshotRecord[] = [];
    try {
      for (;;) {
        const chunk = reader.next(SNAPSHOT_KEYS_PER_TURN);
        if (chunk.length === 0) break;
        for (const record of chunk) records.push(record);
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      reader.close();
    }
    const mvcc: MvccSnapshot = {
      format: 'synod-mvcc',
      version: 1,
      revision: reader.revision,
      compactedRevision: reader.compactedRevision,
      leases: reader.leases,
      records,
    };
    return { mvcc, members };
  }

  /** What an op adds to the log, roughly: its keys and values plus a fixed overhead. */
  commandBytes(op: ServerOp): number {
    return COMMAND_OVERHEAD_BYTES + stringBytes(op.request, 0);
  }

  restore(data: unknown): void {
    assert(typeof data === 'object' && data !== null, 'a server snapshot is an object');
    const snapshot = data as ServerSnapshot;
    assert(Array.isArray(snapshot.members), 'a server snapshot lists members');
    this.store.restore(snapshot.mvcc);
    this.members.clear();
    for (const member of snapshot.members) this.members.set(member.nodeId, member);
    this.leaseClock.resetAll(this.store.leases());
    this.changes.restored = true;
    this.changes.revision = this.store.currentRevision;
    this.changes.events.length = 0;
  }

  /** The member attributes published so far, by node id. */
  publishedMembers(): ReadonlyMap<NodeId, MemberAttributes> {
    return this.members;
  }

  /** Hands over the changes applied since the last call. */
  takeChanges(): AppliedChanges {
    const taken = this.changes;
    this.changes = { events: [], revision: this.store.currentRevision, restored: false };
    return taken;
  }

  private applyMvcc(command: MvccCommand): ServerResult {
    const result = this.store.apply(command);
    if (result.events.length > 0) {
      for (const event of result.events) this.changes.events.push(event);
    }
    this.changes.revision = this.store.currentRevision;
    if (!result.ok) return { ok: false, error: result.error };
    if (command.type === 'leaseGrant')
      this.leaseClock.renew(command.request.id, command.request.ttl);
    if (command.type === 'leaseRevoke') this.leaseClock.forget(command.request.id);
    return {
      ok: true,
      response: result.response.response,
      revision: this.store.currentRevision,
    };
  }

  private fail(error: MvccError): ServerResult {
    return { ok: false, error };
  }
}
