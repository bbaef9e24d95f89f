import { assert } from '../core/assert.js';
import type { ReplicatedApplication } from '../core/replicated-state-machine.js';
import { MAX_TXN_OPS_LIMIT, MvccStore } from '../storage/mvcc/index.js';
import type {
  MvccCommand,
  MvccError,
  MvccEvent,
  MvccSnapshot,
  SnapshotRecord,
} from '../storage/mvcc/index.js';
import type { AuthCommand, AuthSnapshot } from './auth/auth-store.js';
import { AuthErrors, AuthStore } from './auth/auth-store.js';
import { SimpleTokens } from './auth/simple-tokens.js';
import { LeaseClock } from './lease-clock.js';
import type {
  MembershipOp,
  MembershipRefusal,
  MembershipState,
  MemberRecord,
} from './membership.js';
import { applyMembershipOp, assertMembershipState, isMembershipOp } from './membership.js';

/**
 * What the server puts in the log: an MVCC command, a lease renewal (so every replica's lease
 * clock hears of it, and any member can answer TimeToLive), or a membership op (a member added,
 * removed, updated or promoted, or publishing its name and client URLs when it starts).
 */
export type ServerOp =
  | MvccCommand
  | { readonly type: 'leaseRenew'; readonly request: { readonly id: number } }
  | MembershipOp
  | { readonly type: 'auth'; readonly request: AuthCommand }
  | { readonly type: 'authToken'; readonly request: AuthTokenGrant };

/**
 * An Authenticate: the member that checked the password proposes the token, and every member holds
 * it, as etcd does with simple tokens. `passwordHash` is the hash the password was checked against.
 */
export interface AuthTokenGrant {
  readonly token: string;
  readonly user: string;
  readonly passwordHash: string;
}

/** A membership op's response: the member it changed and the members after it. */
export interface MembershipResponse {
  readonly member: MemberRecord | undefined;
  readonly members: readonly MemberRecord[];
}

/** A command's outcome. `response` is the MVCC response for MVCC commands (see `CommandResponse`). */
export type ServerResult =
  | { readonly ok: true; readonly response: unknown; readonly revision: number }
  | { readonly ok: false; readonly error: MvccError };

/** The replicated state: the MVCC store and the membership. */
interface ServerSnapshot {
  readonly mvcc: MvccSnapshot;
  readonly membership: MembershipState;
  /** Absent in snapshots taken before auth existed: auth disabled, no users. */
  readonly auth?: AuthSnapshot;
}

/** etcd's errors for a refused membership change (v3rpc's togRPCError of membership's errors). */
const MEMBERSHIP_ERRORS: Record<MembershipRefusal, MvccError> = {
  'member-exists': { code: 'FailedPrecondition', message: 'etcdserver: member ID already exist' },
  'peer-url-exists': {
    code: 'FailedPrecondition',
    message: 'etcdserver: Peer URLs already exists',
  },
  'member-not-found': { code: 'NotFound', message: 'etcdserver: member not found' },
  // etcd answers a removed id with "member not found" too.
  'member-removed': { code: 'NotFound', message: 'etcdserver: member not found' },
  'not-learner': {
    code: 'FailedPrecondition',
    message: 'etcdserver: can only promote a learner member',
  },
  'too-many-learners': {
    code: 'FailedPrecondition',
    message: 'etcdserver: too many learner members in cluster',
  },
  'node-ids-exhausted': {
    code: 'ResourceExhausted',
    message: 'synod: every engine node id (0-65535) has been used; no more members can be added',
  },
};

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
  // The API refuses a txn over --max-txn-ops before proposing it; at apply every member takes any
  // txn up to the most that flag allows, so members with different settings never diverge.
  readonly store = new MvccStore({ maxTxnOps: MAX_TXN_OPS_LIMIT });
  readonly auth = new AuthStore();
  /** Tokens are local memory, like the lease clock: not replicated state, not in snapshots. */
  readonly tokens: SimpleTokens;
  readonly leaseClock: LeaseClock;
  private membershipState: MembershipState;
  /** Bumped by every applied membership change, so the server notices one after a batch. */
  private membershipChanges = 0;
  private changes: AppliedChanges;

  /** `membership`: the cluster's initial members, the state before any entry or snapshot. */
  constructor(membership: MembershipState, nowMs: () => number = Date.now) {
    this.membershipState = membership;
    this.leaseClock = new LeaseClock(nowMs);
    this.tokens = new SimpleTokens(nowMs);
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
      case 'authToken': {
        // The password was checked against this hash; a change applied since voids the token.
        const { token, user, passwordHash } = op.request;
        if (!this.auth.isEnabled) return this.fail(AuthErrors.authNotEnabled);
        if (this.auth.user(user)?.passwordHash !== passwordHash)
          return this.fail(AuthErrors.authFailed);
        this.tokens.register(token, { user, passwordHash });
        return { ok: true, response: {}, revision: this.store.currentRevision };
      }
      case 'auth': {
        const outcome = this.auth.apply(op.request);
        return outcome.ok
          ? { ok: true, response: {}, revision: this.store.currentRevision }
          : this.fail(outcome.error);
      }
      default:
        return isMembershipOp(op) ? this.applyMembership(op) : this.applyMvcc(op);
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
    return {
      mvcc: this.store.snapshot(),
      membership: this.membershipState,
      auth: this.auth.snapshot(),
    };
  }

  /**
   * `snapshot()` without stopping the member: the state is pinned now (`openSnapshot`, the
   * membership, the auth state, the leases) and its records are gathered a chunk of keys per event-loop turn while
   * commands keep applying.
   */
  async snapshotAsync(): Promise<ServerSnapshot> {
    const reader = this.store.openSnapshot();
    const membership = this.membershipState;
    const auth = this.auth.snapshot();
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
    return { mvcc, membership, auth };
  }

  /** What an op adds to the log, roughly: its keys and values plus a fixed overhead. */
  commandBytes(op: ServerOp): number {
    return COMMAND_OVERHEAD_BYTES + stringBytes(op.request, 0);
  }

  restore(data: unknown): void {
    const steps = this.restoreInSteps(data, Number.MAX_SAFE_INTEGER);
    while (steps.next().done !== true);
  }

  /**
   * `restore` over several event-loop turns, so a member loading a million keys (from its leader,
   * or from disk after a restart) keeps answering its peers. The old state stays whole, and is
   * what serializable reads see, until the last turn replaces it.
   */
  async restoreAsync(data: unknown): Promise<void> {
    for (const _ of this.restoreInSteps(data))
      await new Promise((resolve) => setImmediate(resolve));
  }

  private *restoreInSteps(
    data: unknown,
    recordsPerStep?: number,
  ): Generator<void, void, undefined> {
    assert(typeof data === 'object' && data !== null, 'a server snapshot is an object');
    const snapshot = data as ServerSnapshot;
    assertMembershipState(snapshot.membership);
    yield* this.store.restoreInSteps(snapshot.mvcc, recordsPerStep);
    this.membershipState = snapshot.membership;
    this.membershipChanges++;
    this.auth.restore(snapshot.auth);
    this.leaseClock.resetAll(this.store.leases());
    this.changes.restored = true;
    this.changes.revision = this.store.currentRevision;
    this.changes.events.length = 0;
  }

  /**
   * Starts from a restored snapshot image (`synod snapshot restore`), before any entry applies:
   * its keys and auth state carry over; the membership stays this cluster's initial one, as
   * etcd's restore makes a new cluster.
   */
  seed(mvcc: MvccSnapshot, auth: AuthSnapshot | undefined): void {
    this.restore({ mvcc, membership: this.membershipState, auth } satisfies ServerSnapshot);
  }

  /** The membership as applied here. */
  membership(): MembershipState {
    return this.membershipState;
  }

  /** A count that changes whenever the applied membership does. */
  membershipVersion(): number {
    return this.membershipChanges;
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

  private applyMembership(op: MembershipOp): ServerResult {
    const outcome = applyMembershipOp(this.membershipState, op);
    if (!outcome.ok) return this.fail(MEMBERSHIP_ERRORS[outcome.refusal]);
    this.membershipState = outcome.state;
    this.membershipChanges++;
    const response: MembershipResponse = {
      member: outcome.member,
      members: outcome.state.members,
    };
    return { ok: true, response, revision: this.store.currentRevision };
  }

  private fail(error: MvccError): ServerResult {
    return { ok: false, error };
  }
}
