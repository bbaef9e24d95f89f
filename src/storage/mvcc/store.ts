import { assert } from '../../core/assert.js';
import type { StateMachine } from '../../core/kv.js';
import { MvccErrors } from './errors.js';
import { replayEvents } from './events-since.js';
import { hashKeySpace } from './hash.js';
import { KeySpace, keyRange } from './key-space.js';
import type { KeyHistory } from './key-history.js';
import { LeaseTable } from './lease-table.js';
import { executeRange, readRevisionError } from './range.js';
import { historiesInSteps, pinnedRecords, recordsOf } from './snapshot.js';
import type { MvccSnapshot, MvccSnapshotReader } from './snapshot.js';
import { checkTxnPlan, executeTxnPlan, isWriteTxn, planTxn } from './txn.js';
import type {
  ApplyResult,
  Bytes,
  CommandResponse,
  CompactionRequest,
  EventsSinceResult,
  HashKvResponse,
  LeaseGrantRequest,
  LeaseInfo,
  LeaseRevokeRequest,
  MvccCommand,
  MvccError,
  Outcome,
  PutRequest,
  RangeRequest,
  RangeResponse,
  TxnRequest,
} from './types.js';
import { MAX_TXN_OPS_DEFAULT, validateCommand, validateRangeRequest } from './validate.js';
import { WriteBatch } from './write-batch.js';
import { executeDeleteRange, executePut } from './write-ops.js';

export interface MvccStoreOptions {
  /** etcd's `--max-txn-ops`; must match what the server validates with. */
  readonly maxTxnOps?: number;
}

/** The revision a fresh store starts at, as in etcd: the first write gets revision 2. */
const INITIAL_REVISION = 1;
/** Snapshot records per step of `restoreInSteps`: some 20 ms of work. */
const RESTORE_RECORDS_PER_STEP = 16_384;

type Step =
  { ok: true; response: CommandResponse; batch?: WriteBatch } | { ok: false; error: MvccError };

/**
 * etcd's MVCC key-value store as a replicated state machine: every replica applies the same
 * committed commands in the same order and ends in the same state, with no clock, randomness or
 * I/O. `apply` runs commands from the log; `range` and `eventsSince` serve reads locally.
 */
export class MvccStore implements StateMachine<MvccCommand, ApplyResult, MvccSnapshot> {
  private space = new KeySpace();
  private readonly leaseTable = new LeaseTable();
  private revision = INITIAL_REVISION;
  /** etcd's compactMainRev: -1 until the first compaction. */
  private compactedRaw = -1;
  private readonly maxTxnOps: number;

  constructor(options: MvccStoreOptions = {}) {
    this.maxTxnOps = options.maxTxnOps ?? MAX_TXN_OPS_DEFAULT;
    assert(Number.isSafeInteger(this.maxTxnOps) && this.maxTxnOps > 0, 'maxTxnOps must be > 0');
  }

  get currentRevision(): number {
    return this.revision;
  }

  /** The revision of the last compaction, 0 if none: reads below it fail. */
  get compactedRevision(): number {
    return Math.max(0, this.compactedRaw);
  }

  /** Keys with retained history (deleted keys count until compaction removes them). */
  get keyCount(): number {
    return this.space.keyCount;
  }

  /** Applies one committed command. Never throws on a malformed command: it fails it. */
  apply(command: MvccCommand): ApplyResult {
    const error = validateCommand(command, this.maxTxnOps);
    if (error !== undefined) return { ok: false, error, events: [] };
    const step = this.execute(command);
    if (!step.ok) return { ok: false, error: step.error, events: [] };
    const batch = step.batch;
    if (batch === undefined || !batch.changed)
      return { ok: true, response: step.response, events: [] };
    // Invariant: a command that changed something moves the revision by exactly one.
    assert(batch.beginRevision === this.revision, 'a write batch began at an older revision');
    this.revision = batch.mainRevision;
    return { ok: true, response: step.response, events: batch.events };
  }

  /** A Range served from this replica's state (after a read barrier, or serializable). */
  range(request: RangeRequest): Outcome<RangeResponse> {
    const error = validateRangeRequest(request);
    if (error !== undefined) return { ok: false, error };
    return executeRange(this.space, request, this.revision, this.compactedRaw);
  }

  private execute(command: MvccCommand): Step {
    switch (command.type) {
      case 'range': {
        const outcome = executeRange(this.space, command.request, this.revision, this.compactedRaw);
        return outcome.ok
          ? { ok: true, response: { type: 'range', response: outcome.response } }
          : outcome;
      }
      case 'put':
        return this.put(command.request);
      case 'deleteRange': {
        const batch = this.batch();
        const response = executeDeleteRange(batch, command.request);
        return { ok: true, response: { type: 'deleteRange', response }, batch };
      }
      case 'txn':
        return this.txn(command.request);
      case 'compaction':
        return this.compact(command.request);
      case 'leaseGrant':
        return this.leaseGrant(command.request);
      case 'leaseRevoke':
        return this.leaseRevoke(command.request);
    }
  }

  private batch(): WriteBatch {
    return new WriteBatch(this.space, this.leaseTable, this.revision);
  }

  /** etcd's Put: the lease must exist, then ignore* needs the key. */
  private put(request: PutRequest): Step {
    const lease = request.lease ?? 0;
    if (lease !== 0 && !this.leaseTable.has(lease))
      return { ok: false, error: MvccErrors.leaseNotFound };
    const batch = this.batch();
    if (
      (request.ignoreValue === true || request.ignoreLease === true) &&
      batch.current(request.key) === undefined
    ) {
      return { ok: false, error: MvccErrors.keyNotFound };
    }
    return { ok: true, response: { type: 'put', response: executePut(batch, request) }, batch };
  }

  private txn(request: TxnRequest): Step {
    const batch = this.batch();
    const plan = planTxn(this.space, request, this.revision);
    const error = checkTxnPlan(
      plan,
      batch,
      this.leaseTable,
      this.compactedRaw,
      isWriteTxn(request),
    );
    if (error !== undefined) return { ok: false, error };
    const executed = executeTxnPlan(plan, batch, this.space, this.compactedRaw);
    const response = { ...executed, header: { revision: batch.readRevision } };
    return { ok: true, response: { type: 'txn', response }, batch };
  }

  /** etcd's compaction: only forward, never past the current revision; it keeps the revision. */
  private compact(request: CompactionRequest): Step {
    if (request.revision <= this.compactedRaw) return { ok: false, error: MvccErrors.compacted };
    if (request.revision > this.revision) return { ok: false, error: MvccErrors.futureRevision };
    this.space.compact(request.revision);
    this.compactedRaw = request.revision;
    return {
      ok: true,
      response: { type: 'compaction', response: { header: { revision: this.revision } } },
    };
  }

  /** etcd's lessor.Grant: id 0 is "not found" (the leader picks ids), an existing id is refused. */
  private leaseGrant(request: LeaseGrantRequest): Step {
    if (request.id === 0) return { ok: false, error: MvccErrors.leaseNotFound };
    if (this.leaseTable.has(request.id)) return { ok: false, error: MvccErrors.leaseExists };
    this.leaseTable.grant(request.id, request.ttl);
    const response = {
      header: { revision: this.revision },
      id: request.id,
      ttl: request.ttl,
      error: '',
    };
    return { ok: true, response: { type: 'leaseGrant', response } };
  }

  /** Revoking (or expiring) a lease deletes all its keys in one revision, in key order. */
  private leaseRevoke(request: LeaseRevokeRequest): Step {
    if (!this.leaseTable.has(request.id)) return { ok: false, error: MvccErrors.leaseNotFound };
    const batch = this.batch();
    for (const key of this.leaseTable.revoke(request.id))
      batch.deleteRange(keyRange(key, undefined));
    const response = { header: { revision: batch.readRevision } };
    return { ok: true, response: { type: 'leaseRevoke', response }, batch };
  }

  /** Every lease, ascending id. */
  leases(): LeaseInfo[] {
    return this.leaseTable.list();
  }

  lease(id: number): LeaseInfo | undefined {
    return this.leaseTable.get(id);
  }

  /** The keys attached to a lease (LeaseTimeToLive with keys), or undefined for no such lease. */
  leaseKeys(id: number): Bytes[] | undefined {
    return this.leaseTable.keysOf(id);
  }

  /**
   * The events of [key, rangeEnd) from `startRevision` on, in revision order, for a watch that
   * starts in the past. As etcd, a start below the compacted revision is refused with it.
   */
  eventsSince(key: Bytes, rangeEnd: Bytes | undefined, startRevision: number): EventsSinceResult {
    if (startRevision < this.compactedRaw) {
      return { ok: false, compactRevision: this.compactedRaw, error: MvccErrors.compacted };
    }
    return { ok: true, events: replayEvents(this.space, keyRange(key, rangeEnd), startRevision) };
  }

  /**
   * Maintenance HashKV: a CRC-32C of every retained change at or below `revision` (0: the current
   * one), in key then revision order. Replicas that applied the same log agree on it, so comparing
   * members' hashes at one revision detects a diverged replica; the number itself differs from
   * etcd's, which hashes its own on-disk encoding. Errors as a Range at that revision.
   */
  hashKv(revision = 0): Outcome<HashKvResponse> {
    const error = Number.isSafeInteger(revision)
      ? readRevisionError(revision, this.revision, this.compactedRaw)
      : MvccErrors.futureRevision;
    if (error !== undefined) return { ok: false, error };
    const hashRevision = revision <= 0 ? this.revision : revision;
    const hash = hashKeySpace(this.space, hashRevision);
    const header = { revision: this.revision };
    return {
      ok: true,
      response: { header, hash, compactRevision: this.compactedRaw, hashRevision },
    };
  }

  snapshot(): MvccSnapshot {
    return {
      format: 'synod-mvcc',
      version: 1,
      revision: this.revision,
      compactedRevision: this.compactedRaw,
      leases: this.leaseTable.list().map(({ id, ttl }) => [id, ttl] as const),
      records: recordsOf(this.space),
    };
  }

  /**
   * The state at the current revision, read a chunk at a time while commands keep applying (see
   * `PinnedKeySpace`): opening costs a copy of the lease list, not of the key space. Close a
   * reader that is not read to the end, or compactions keep handing it histories.
   */
  openSnapshot(): MvccSnapshotReader {
    const view = this.space.pin(this.revision);
    return {
      revision: this.revision,
      compactedRevision: this.compactedRaw,
      leases: this.leaseTable.list().map(({ id, ttl }) => [id, ttl] as const),
      next: (maxKeys) => pinnedRecords(view, maxKeys),
      close: () => view.close(),
    };
  }

  /** Replaces the whole state; a corrupt snapshot fails an assertion and leaves the store as it was. */
  restore(snapshot: MvccSnapshot): void {
    const steps = this.restoreInSteps(snapshot, Number.MAX_SAFE_INTEGER);
    while (steps.next().done !== true);
  }

  /**
   * `restore` in steps of about `recordsPerStep` records each (a million keys take seconds): the
   * caller runs one step per event-loop turn. The new state is built aside and replaces the old
   * one in the last step, so until then the store serves its old state, whole.
   */
  *restoreInSteps(
    snapshot: MvccSnapshot,
    recordsPerStep = RESTORE_RECORDS_PER_STEP,
  ): Generator<void, void, undefined> {
    const entries: [Bytes, KeyHistory][] = [];
    yield* historiesInSteps(snapshot, entries, recordsPerStep);
    const space = new KeySpace();
    yield* space.loadInSteps(entries, recordsPerStep);
    this.space = space;
    this.revision = snapshot.revision;
    this.compactedRaw = snapshot.compactedRevision;
    this.leaseTable.clear();
    for (const [id, ttl] of snapshot.leases) this.leaseTable.grant(id, ttl);
    for (const [key, history] of entries) {
      const last = history[history.length - 1];
      if (last !== undefined && !last.tombstone) this.leaseTable.attach(key, last.lease);
    }
  }
}
