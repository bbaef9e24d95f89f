import type { Ballot } from '../../core/ballot.js';

/** One key's new value; null deletes it. */
export type KeyWrite = readonly [key: string, value: string | null];

/**
 * A primary–backup log entry: the writes of one client operation, as the primary evaluated it.
 * `view` is the view in which the entry was created; with `index` it names the entry uniquely,
 * because each view has one primary and it never reuses an index.
 */
export interface LogEntry {
  readonly index: number;
  readonly view: number;
  readonly writes: readonly KeyWrite[];
}

/** The messages of the primary–backup strategies (default, async, semisync). */
export type PrimaryBackupMessage =
  /** Primary to backup: store these entries. With no entries it is the heartbeat. */
  | { readonly type: 'replicate'; readonly view: number; readonly entries: readonly LogEntry[] }
  /** A new (or restarted) primary to backup: replace your log by mine. */
  | { readonly type: 'install'; readonly view: number; readonly entries: readonly LogEntry[] }
  /**
   * Backup to primary: I am in `view`; `installed` says whether I hold that view's primary's log,
   * `indexes` which of its entries I just stored. A higher view tells a stale primary to step down.
   */
  | {
      readonly type: 'ack';
      readonly view: number;
      readonly installed: boolean;
      readonly indexes: readonly number[];
    };

/** What one replica holds for one key in the quorum strategies. */
export interface RegisterCopy {
  readonly value: string | null;
  /**
   * `lww`: the timestamp (a Lamport clock, made unique by the node id). `versioned`: the version
   * number of the seed's variable i, with the writer's id. `prepared`: the ballot it was accepted in
   * (the seed's `vrnd`). `majority`: unused (zero).
   */
  readonly version: Ballot;
  /** How many writes led to this value: what "lost update" means (two writes with one `seq`). */
  readonly seq: number;
}

/** The messages of the quorum strategies (majority, lww, versioned, prepared). */
export type QuorumMessage =
  /**
   * Coordinator to replica: what do you hold for `key`? With a `ballot` (prepared only) it is the
   * recorded pre-read, Paxos's phase 1a: "and let nobody with a lower ballot write".
   */
  | {
      readonly type: 'read';
      readonly operation: string;
      readonly key: string;
      readonly ballot?: Ballot;
    }
  /** Replica to coordinator. `ok: false`: a higher pre-read (`promised`) was already recorded. */
  | {
      readonly type: 'read-reply';
      readonly operation: string;
      readonly key: string;
      readonly ok: boolean;
      readonly copy: RegisterCopy;
      readonly promised: Ballot;
    }
  /** Coordinator to replica: store this copy (prepared: phase 2a, in ballot `copy.version`). */
  | {
      readonly type: 'write';
      readonly operation: string;
      readonly key: string;
      readonly copy: RegisterCopy;
    }
  | {
      readonly type: 'write-reply';
      readonly operation: string;
      readonly key: string;
      readonly ok: boolean;
      readonly promised: Ballot;
    };

export type ReplicationMessage = PrimaryBackupMessage | QuorumMessage;

/** Durable records. On restore the last `view` wins and entries replace by index; same per key. */
export type ReplicationRecord =
  | { readonly kind: 'view'; readonly view: number }
  | { readonly kind: 'entry'; readonly entry: LogEntry }
  | {
      readonly kind: 'register';
      readonly key: string;
      readonly copy: RegisterCopy;
      readonly promised: Ballot;
    };
