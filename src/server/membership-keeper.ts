import type { NodeId } from '../core/ids.js';
import type { EngineConfig } from './engines.js';
import type { EtcdApplication, ServerOp, ServerResult } from './etcd-application.js';
import type { ServerLogger } from './logger.js';
import { engineTarget, isNodeRemoved, memberOfNode } from './membership.js';
import type { NodeRuntime } from './node.js';
import { addressesOf } from './urls.js';

/** etcd's message when a member learns it was removed (etcdserver.ErrMemberRemoved's log line). */
export const REMOVED_MESSAGE = 'the member has been permanently removed from the cluster';

/** How often the keeper looks at the applied membership and the engine's configuration. */
const CHECK_EVERY_MS = 50;
/** A removed leader hands over (steps down) before it stops; past this it stops anyway. */
const REMOVED_LEADER_GRACE_MS = 10_000;
/** Time for the answer to a MemberRemove sent to the removed member itself to leave. */
const REMOVED_STOP_DELAY_MS = 500;

/**
 * Makes the rest of the member follow the replicated membership (which the log changes):
 * - the peer transport dials every member at its current peer URL and drops removed ones;
 * - at the leader, the engine's configuration converges on the membership: each membership change
 *   is applied first, and then the leader proposes the engine configuration it calls for (a new
 *   leader finishes what a previous one left), so the engine never counts a node whose address the
 *   members do not know yet;
 * - a member that finds itself removed stops, as etcd does, once it no longer leads.
 */
export class MembershipKeeper {
  private timer: NodeJS.Timeout | undefined;
  /** Removed nodes this member no longer talks to. */
  private readonly disconnected = new Set<NodeId>();
  private removedAtMs: number | undefined;
  private stopping = false;

  constructor(
    private readonly runtime: NodeRuntime<ServerOp, ServerResult>,
    private readonly app: EtcdApplication,
    private readonly self: NodeId,
    private readonly memberIdHex: string,
    private readonly logger: ServerLogger,
    private readonly onRemoved: () => void,
  ) {}

  start(): void {
    this.check();
    this.timer = setInterval(() => this.check(), CHECK_EVERY_MS);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  /** A peer refused us as removed (etcd's 410 Gone): we missed the entry that removed us. */
  removedByPeer(peer: NodeId, reason: string): void {
    if (this.stopping) return;
    this.logger.warn('a peer refused this member', { peer, reason });
    this.removed(0);
  }

  private check(): void {
    if (this.stopping) return;
    this.syncPeers();
    if (isNodeRemoved(this.app.membership(), this.self)) {
      // A removed leader first commits its own removal (Raft then has it step down).
      const leading = this.runtime.leader() === this.self;
      this.removedAtMs ??= Date.now();
      if (!leading || Date.now() - this.removedAtMs > REMOVED_LEADER_GRACE_MS)
        this.removed(REMOVED_STOP_DELAY_MS);
      else this.reconcile();
      return;
    }
    this.reconcile();
  }

  private removed(delayMs: number): void {
    if (this.stopping) return;
    this.stopping = true;
    this.stop();
    this.logger.error(REMOVED_MESSAGE, { memberId: this.memberIdHex });
    // No more peer traffic: the others would only refuse it.
    for (const peer of this.runtime.peerIds()) this.runtime.removePeer(peer);
    setTimeout(() => this.onRemoved(), delayMs);
  }

  /**
   * Whether to refuse `nodeId`'s connections: it was removed, and the engine here no longer
   * counts it. Until then it may still be needed, e.g. a removed leader (in a two-member cluster,
   * the only one left could not elect itself in the old configuration) commits its own removal.
   */
  refuses(nodeId: NodeId): boolean {
    return isNodeRemoved(this.app.membership(), nodeId) && !this.inEngineConfig(nodeId);
  }

  private inEngineConfig(nodeId: NodeId): boolean {
    return this.runtime.engine.membership?.config().members.includes(nodeId) === true;
  }

  private syncPeers(): void {
    const membership = this.app.membership();
    for (const member of membership.members) {
      if (member.nodeId === this.self || member.peerUrls.length === 0) continue;
      try {
        this.runtime.setPeer(member.nodeId, addressesOf('peer URL', member.peerUrls));
      } catch (error) {
        this.logger.error('cannot dial a member: bad peer URL', { member: member.memberId, error });
      }
    }
    for (const { nodeId } of membership.removed) {
      if (this.disconnected.has(nodeId) || this.inEngineConfig(nodeId)) continue;
      // Both ways: if it missed its removal, its redial is refused and it learns of it.
      this.runtime.removePeer(nodeId);
      this.disconnected.add(nodeId);
    }
  }

  /** At the leader: proposes the engine configuration the applied membership calls for. */
  private reconcile(): void {
    const membership = this.runtime.engine.membership;
    if (membership === undefined || this.runtime.leader() !== this.self) return;
    // Everything committed before must be applied, or the target could undo a later change.
    const committed = this.runtime.engine.committedIndex();
    if (committed !== undefined && this.runtime.machine.appliedIndex < committed) return;
    const current = membership.config();
    if (!current.settled) return;
    const target = engineTarget(this.app.membership());
    if (sameConfig(current, target)) return;
    const refusal = this.runtime.proposeEngineConfig(target);
    if (refusal === undefined)
      this.logger.info('proposed an engine configuration for the membership', {
        voters: target.voters.map((id) => this.nameOf(id)),
        learners: target.learners.map((id) => this.nameOf(id)),
      });
  }

  private nameOf(nodeId: NodeId): string {
    const member = memberOfNode(this.app.membership(), nodeId);
    return member === undefined || member.name === '' ? `node ${nodeId}` : member.name;
  }
}

function sameConfig(a: EngineConfig, b: EngineConfig): boolean {
  const key = (ids: readonly NodeId[]) => [...ids].sort((x, y) => x - y).join(',');
  return key(a.voters) === key(b.voters) && key(a.learners) === key(b.learners);
}
