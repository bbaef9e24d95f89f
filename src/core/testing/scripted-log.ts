import type { NodeId } from '../ids.js';
import type { NodeInspection, ProtocolMessage } from '../protocol.js';
import { type LogReady, type ReplicatedLog, emptyLogReady } from '../replicated-log.js';

/**
 * Test support: an engine the test scripts. It records what it is asked (proposals, read barriers,
 * compactions) and delivers what the test says (committed entries, read states, a snapshot) at the
 * next `ready()`.
 */
export class ScriptedLog<C> implements ReplicatedLog<C, ProtocolMessage, never> {
  readonly proposals: C[] = [];
  readonly barriers: number[] = [];
  readonly compactions: { index: number; snapshot: unknown }[] = [];
  /** While false, proposals and barriers are refused and `leader()` names another node. */
  isLeader = true;
  barrierSupported = true;
  private pending: LogReady<C, ProtocolMessage, never> = emptyLogReady();

  constructor(readonly id: NodeId) {}

  step(): void {}
  tick(): void {}
  propose(command: C): boolean {
    if (!this.isLeader) return false;
    this.proposals.push(command);
    return true;
  }
  leader(): NodeId | undefined {
    return this.isLeader ? this.id : this.id + 1;
  }
  requestReadBarrier(readId: number): boolean {
    if (!this.barrierSupported || !this.isLeader) return false;
    this.barriers.push(readId);
    return true;
  }
  compact(index: number, snapshot: unknown): void {
    this.compactions.push({ index, snapshot });
  }
  hasReady(): boolean {
    const { snapshot, committed, readStates } = this.pending;
    return snapshot !== undefined || committed.length > 0 || readStates.length > 0;
  }
  ready(): LogReady<C, ProtocolMessage, never> {
    const batch = this.pending;
    this.pending = emptyLogReady();
    return batch;
  }
  inspect(): NodeInspection {
    return { role: 'scripted', state: {} };
  }

  commit(index: number, command: C | null): void {
    this.pending.committed.push({ index, command });
  }
  resolveBarrier(readId: number, index: number): void {
    this.pending.readStates.push({ readId, index });
  }
  deliverSnapshot(index: number, data: unknown): void {
    this.pending.snapshot = { index, data };
  }
}
