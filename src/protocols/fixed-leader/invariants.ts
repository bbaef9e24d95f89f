import type { NodeId } from '../../core/ids.js';
import type { ClusterView, InvariantChecker, InvariantViolation } from '../../core/protocol.js';
import type { FixedLeaderEngine } from './engine.js';
import type { FixedLeaderNode } from './node.js';

/** How far the checker has looked at one node's log (per incarnation: a restart is a new engine). */
interface Progress {
  logVersion: number;
  /** Commits of this node recorded up to here. */
  committedUpTo: number;
  /** Log entries compared with the committed ones up to here. */
  agreedUpTo: number;
}

/**
 * The fixed-leader protocol's safety, checked after every simulator event, incrementally (each
 * entry is looked at about once):
 *
 * - State-machine safety: an index, once committed anywhere, is committed everywhere with the same
 *   entry (index and epoch name an entry), and no log ever holds another entry there.
 * - Leader completeness: the leader's log holds every committed entry.
 */
export class FixedLeaderInvariants implements InvariantChecker<FixedLeaderNode> {
  /** `committedEpochs[i]`: the epoch of the entry committed at index i. */
  private readonly committedEpochs: number[] = [0];
  private readonly progress = new WeakMap<FixedLeaderEngine, Progress>();

  check(view: ClusterView<FixedLeaderNode>): InvariantViolation | undefined {
    for (const { id, node } of view.nodes) {
      if (node === undefined) continue;
      const broken = this.checkNode(id, node.log);
      if (broken !== undefined) return broken;
    }
    return undefined;
  }

  private get committedMax(): number {
    return this.committedEpochs.length - 1;
  }

  private checkNode(id: NodeId, engine: FixedLeaderEngine): InvariantViolation | undefined {
    let progress = this.progress.get(engine);
    if (progress === undefined) {
      progress = { logVersion: engine.logVersion, committedUpTo: 0, agreedUpTo: 0 };
      this.progress.set(engine, progress);
    }
    if (progress.logVersion !== engine.logVersion) {
      progress.logVersion = engine.logVersion;
      progress.agreedUpTo = 0;
    }
    for (let index = progress.committedUpTo + 1; index <= engine.commitIndex; index++) {
      const entry = engine.entryAt(index);
      if (entry === undefined)
        return violation(
          'commit-within-log',
          `node ${id} commits index ${index} beyond its log`,
          id,
        );
      const known = this.committedEpochs[index];
      if (known === undefined) this.committedEpochs[index] = entry.epoch;
      else if (known !== entry.epoch) return changed(id, index, known, entry.epoch);
      progress.committedUpTo = index;
    }
    const agreeTo = Math.min(engine.lastIndex, this.committedMax);
    for (let index = progress.agreedUpTo + 1; index <= agreeTo; index++) {
      const epoch = engine.entryAt(index)!.epoch;
      const known = this.committedEpochs[index]!;
      if (known !== epoch) return changed(id, index, known, epoch);
      progress.agreedUpTo = index;
    }
    if (engine.isLeader && engine.lastIndex < this.committedMax)
      return violation(
        'leader-completeness',
        `leader ${id} has ${engine.lastIndex} entries but index ${this.committedMax} was committed: it lost committed entries`,
        id,
      );
    return undefined;
  }
}

function changed(id: NodeId, index: number, was: number, now: number): InvariantViolation {
  return violation(
    'state-machine-safety',
    `index ${index} was committed with the entry of epoch ${was}, but node ${id} holds one of epoch ${now} there`,
    id,
  );
}

function violation(invariant: string, message: string, node: NodeId): InvariantViolation {
  return { invariant, message, nodes: [node] };
}
