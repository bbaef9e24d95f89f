import { compareBallots } from '../../core/ballot.js';
import type { NodeId } from '../../core/ids.js';
import type { ClusterView, InvariantChecker, InvariantViolation } from '../../core/protocol.js';
import { majority } from '../../core/quorum.js';
import type { EntryId } from './entry-log.js';
import type { RegisterCopy } from './messages.js';
import type { ReplicationNode } from './node.js';
import { type ReplicationVariant, isPrimaryBackupVariant } from './options.js';
import { PrimaryBackupNode } from './primary-backup.js';
import { type QuorumReport, QuorumNode } from './quorum-node.js';

type View = ClusterView<ReplicationNode>;

/** Reads what each node incarnation reported since the last check (nodes keep cumulative lists). */
class ReportCursor<T> {
  private readonly consumed = new WeakMap<object, number>();

  fresh(node: object, all: readonly T[]): readonly T[] {
    const from = this.consumed.get(node) ?? 0;
    this.consumed.set(node, all.length);
    return all.slice(from);
  }
}

function liveNodes<T>(view: View, kind: abstract new (...args: never[]) => T): T[] {
  return view.nodes.flatMap(({ node }) => (node instanceof kind ? [node as T] : []));
}

/**
 * Primary–backup: "an acknowledged write survives". Every entry any primary acknowledged must be in
 * the log of the live primary of the highest view. Asynchronous and semi-synchronous replication
 * break it on failover; the synchronous default, with its fixed primary, keeps it.
 */
export class AcknowledgedWritesSurvive implements InvariantChecker<ReplicationNode> {
  private readonly acknowledged: (EntryId & { readonly by: NodeId })[] = [];
  private readonly cursor = new ReportCursor<EntryId>();
  /** The primary (incarnation and view) that held every acknowledged entry up to `verified`. */
  private verifiedAt: { node: PrimaryBackupNode; view: number; verified: number } | undefined;

  check(view: View): InvariantViolation | undefined {
    for (const node of liveNodes(view, PrimaryBackupNode))
      for (const id of this.cursor.fresh(node, node.acknowledgedEntries()))
        this.acknowledged.push({ ...id, by: node.id });
    const primary = liveNodes(view, PrimaryBackupNode)
      .filter((node) => node.isPrimary())
      .sort((a, b) => b.currentView() - a.currentView())[0];
    if (primary === undefined) return undefined;
    const same =
      this.verifiedAt?.node === primary && this.verifiedAt.view === primary.currentView();
    for (
      let at = same ? (this.verifiedAt?.verified ?? 0) : 0;
      at < this.acknowledged.length;
      at++
    ) {
      const id = this.acknowledged[at]!;
      if (primary.holds(id)) continue;
      this.verifiedAt = undefined;
      return {
        invariant: 'acknowledged-writes-survive',
        message: `the write at index ${id.index} of view ${id.view}, acknowledged by node ${id.by}, is missing at node ${primary.id}, primary of view ${primary.currentView()}`,
        nodes: [id.by, primary.id],
      };
    }
    this.verifiedAt = {
      node: primary,
      view: primary.currentView(),
      verified: this.acknowledged.length,
    };
    return undefined;
  }
}

/** Collects what the quorum nodes' completed operations reported. */
abstract class QuorumChecker implements InvariantChecker<ReplicationNode> {
  private readonly cursor = new ReportCursor<QuorumReport>();

  check(view: View): InvariantViolation | undefined {
    for (const node of liveNodes(view, QuorumNode))
      for (const report of this.cursor.fresh(node, node.reports())) {
        const broken = this.onReport(report, node.id);
        if (broken !== undefined) return broken;
      }
    return this.onView(view);
  }

  protected abstract onReport(report: QuorumReport, by: NodeId): InvariantViolation | undefined;

  protected onView(_view: View): InvariantViolation | undefined {
    return undefined;
  }
}

/** `majority`: "a majority read finds one value". Seed 002's reader of nodes 1 and 2 breaks it. */
export class OneValuePerMajority extends QuorumChecker {
  protected onReport(report: QuorumReport, by: NodeId): InvariantViolation | undefined {
    if (report.conflict === undefined) return undefined;
    return {
      invariant: 'one-value-per-majority',
      message: `request ${report.requestId} at node ${by} read ${report.key} from a majority and found ${report.conflict.map((reply) => `${String(reply.copy.value)} at node ${reply.from}`).join(', ')}`,
      nodes: report.conflict.map((reply) => reply.from),
    };
  }
}

/**
 * "A value an operation returned stays visible": once a read returned (or a write left) a copy, a
 * majority holds that version or a newer one, so every later majority read meets it. Crashed nodes
 * count as holding it (their disk is unknown here). Last-writer-wins reads do not write back, so a
 * writer that crashed after one copy breaks it, and so does a read that meets a write still on its
 * way (it returns a copy only one replica holds yet). `prepared` writes back in its phase 2 and
 * keeps it.
 */
export class ReturnedValuesStay extends QuorumChecker {
  private readonly highest = new Map<string, { copy: RegisterCopy; requestId: number }>();

  protected onReport(report: QuorumReport): InvariantViolation | undefined {
    const held = this.highest.get(report.key);
    if (held === undefined || compareBallots(report.copy.version, held.copy.version) > 0)
      this.highest.set(report.key, { copy: report.copy, requestId: report.requestId });
    return undefined;
  }

  protected override onView(view: View): InvariantViolation | undefined {
    for (const [key, { copy, requestId }] of this.highest) {
      const behind = liveNodes(view, QuorumNode).filter(
        (node) => compareBallots(node.copyOf(key).version, copy.version) < 0,
      );
      if (behind.length < majority(view.nodes.length)) continue;
      return {
        invariant: 'returned-values-stay',
        message: `request ${requestId} returned ${key}=${String(copy.value)} (version ${copy.version.round}.${copy.version.node}), but nodes ${behind.map((node) => node.id).join(', ')}, a majority, hold older versions: a later majority read can miss it`,
        nodes: behind.map((node) => node.id),
      };
    }
    return undefined;
  }
}

/** "No lost update": two operations that changed a key never built on the same read (same `seq`). */
export class NoLostUpdate extends QuorumChecker {
  private readonly writers = new Map<string, number>();

  protected onReport(report: QuorumReport, by: NodeId): InvariantViolation | undefined {
    if (!report.wrote) return undefined;
    const slot = `${report.key}#${report.copy.seq}`;
    const earlier = this.writers.get(slot);
    if (earlier === undefined || earlier === report.requestId) {
      this.writers.set(slot, report.requestId);
      return undefined;
    }
    return {
      invariant: 'no-lost-update',
      message: `requests ${earlier} and ${report.requestId} (at node ${by}) both wrote write number ${report.copy.seq} of ${report.key}: one update is lost`,
    };
  }
}

/** Runs several checkers; the first violation wins. */
class AllOf implements InvariantChecker<ReplicationNode> {
  constructor(private readonly checkers: readonly InvariantChecker<ReplicationNode>[]) {}

  check(view: View): InvariantViolation | undefined {
    for (const checker of this.checkers) {
      const broken = checker.check(view);
      if (broken !== undefined) return broken;
    }
    return undefined;
  }
}

/** Each strategy's invariants: the guarantee it claims, which the unsafe ones fail to keep. */
export function createReplicationChecker(
  variant: ReplicationVariant,
): InvariantChecker<ReplicationNode> {
  if (isPrimaryBackupVariant(variant)) return new AcknowledgedWritesSurvive();
  switch (variant) {
    case 'majority':
      return new OneValuePerMajority();
    case 'lww':
      return new ReturnedValuesStay();
    case 'versioned':
      return new AllOf([new NoLostUpdate(), new ReturnedValuesStay()]);
    case 'prepared':
      return new AllOf([new NoLostUpdate(), new ReturnedValuesStay()]);
  }
}
