import type { NodeId } from '../../core/ids.js';
import type { ClusterView, InvariantChecker, InvariantViolation } from '../../core/protocol.js';
import type { RaftEntry } from './messages.js';
import type { RaftNode } from './raft.js';

interface CommittedRecord {
  readonly term: number;
  readonly identity: string;
  /** A term at which the entry was known committed (the observing node's term): leaders after it must hold it. */
  readonly knownAtTerm: number;
}

interface NodeCursor {
  readonly node: RaftNode<unknown>;
  /** The terms of this node's log as last checked, by index. */
  readonly shadowTerms: number[];
  checkedCommit: number;
}

function identityOf(entry: RaftEntry<unknown>): string {
  return JSON.stringify(entry.command ?? entry.config ?? null);
}

/**
 * Raft's safety properties (Figure 3 of the paper), checked after every simulator event and
 * remembered over the whole run, crashes included:
 * - Election Safety: at most one leader per term, over all time.
 * - Log Matching: two logs with an entry of the same index and term hold the same command there
 *   and agree on the term of the entry before it (so, inductively, on the whole prefix).
 * - Leader Completeness: a leader holds every entry committed before its term.
 * - State Machine Safety: no two nodes commit different entries at one index, and a committed
 *   index never changes.
 * Each check is incremental so a long run stays cheap.
 */
export class RaftInvariantChecker<N> implements InvariantChecker<N> {
  private readonly leaders = new Map<number, NodeId>();
  private readonly committed = new Map<number, CommittedRecord>();
  /** `index:term` → the previous entry's term and the command, from the first log seen holding it. */
  private readonly entries = new Map<string, { prevTerm: number | undefined; identity: string }>();
  private readonly cursors = new Map<NodeId, NodeCursor>();
  private readonly leadersChecked = new Set<string>();

  constructor(private readonly raftOf: (node: N) => RaftNode<unknown>) {}

  check(view: ClusterView<N>): InvariantViolation | undefined {
    for (const { id, node } of view.nodes) {
      if (node === undefined) continue;
      const raft = this.raftOf(node);
      const cursor = this.cursorFor(id, raft);
      const broken =
        this.checkElectionSafety(id, raft) ??
        this.checkLogMatching(id, cursor) ??
        this.checkCommitted(id, cursor) ??
        this.checkLeaderCompleteness(id, raft);
      if (broken !== undefined) return broken;
    }
    return undefined;
  }

  private cursorFor(id: NodeId, raft: RaftNode<unknown>): NodeCursor {
    const known = this.cursors.get(id);
    if (known !== undefined && known.node === raft) return known;
    // A new incarnation: its log is re-read from scratch.
    const cursor: NodeCursor = { node: raft, shadowTerms: [], checkedCommit: 0 };
    this.cursors.set(id, cursor);
    return cursor;
  }

  private checkElectionSafety(id: NodeId, raft: RaftNode<unknown>): InvariantViolation | undefined {
    if (raft.role !== 'leader') return undefined;
    const previous = this.leaders.get(raft.term);
    if (previous === undefined) this.leaders.set(raft.term, id);
    else if (previous !== id)
      return {
        invariant: 'election-safety',
        message: `two leaders in term ${raft.term}: ${previous} and ${id}`,
        nodes: [previous, id],
      };
    return undefined;
  }

  private checkLogMatching(id: NodeId, cursor: NodeCursor): InvariantViolation | undefined {
    const log = cursor.node.log;
    const shadow = cursor.shadowTerms;
    // Walk back from the end to the first entry unchanged since the last check.
    let index = log.lastIndex();
    for (; index >= log.firstIndex(); index--) {
      const term = log.term(index) as number;
      if (shadow[index] === term) break;
      const prevTerm = log.term(index - 1);
      const identity = identityOf(log.entryAt(index));
      const key = `${index}:${term}`;
      const seen = this.entries.get(key);
      if (seen === undefined) this.entries.set(key, { prevTerm, identity });
      else if (
        seen.identity !== identity ||
        (seen.prevTerm !== undefined && prevTerm !== undefined && seen.prevTerm !== prevTerm)
      )
        return {
          invariant: 'log-matching',
          message: `node ${id} holds entry ${key} as ${identity} after term ${prevTerm}, another log as ${seen.identity} after term ${seen.prevTerm}`,
          nodes: [id],
        };
      shadow[index] = term;
    }
    shadow.length = log.lastIndex() + 1;
    return undefined;
  }

  private checkCommitted(id: NodeId, cursor: NodeCursor): InvariantViolation | undefined {
    const raft = cursor.node;
    const log = raft.log;
    for (
      let index = Math.max(cursor.checkedCommit, log.snapshotIndex) + 1;
      index <= log.committed;
      index++
    ) {
      const entry = log.entryAt(index);
      const identity = identityOf(entry);
      const known = this.committed.get(index);
      if (known === undefined)
        this.committed.set(index, { term: entry.term, identity, knownAtTerm: raft.term });
      else if (known.term !== entry.term || known.identity !== identity)
        return {
          invariant: 'state-machine-safety',
          message: `node ${id} committed ${identity} (term ${entry.term}) at index ${index}, where ${known.identity} (term ${known.term}) was committed before`,
          nodes: [id],
        };
    }
    cursor.checkedCommit = Math.max(cursor.checkedCommit, log.committed);
    return undefined;
  }

  private checkLeaderCompleteness(
    id: NodeId,
    raft: RaftNode<unknown>,
  ): InvariantViolation | undefined {
    if (raft.role !== 'leader') return undefined;
    const key = `${id}:${raft.term}`;
    if (this.leadersChecked.has(key)) return undefined;
    this.leadersChecked.add(key);
    const log = raft.log;
    for (const [index, record] of this.committed) {
      if (record.knownAtTerm >= raft.term || index <= log.snapshotIndex) continue;
      if (log.term(index) !== record.term || identityOf(log.entryAt(index)) !== record.identity)
        return {
          invariant: 'leader-completeness',
          message: `leader ${id} of term ${raft.term} lacks entry ${index} (term ${record.term}), committed by term ${record.knownAtTerm}`,
          nodes: [id],
        };
    }
    return undefined;
  }
}
