import type { Clock } from '../../core/clock.js';
import type { NodeId } from '../../core/ids.js';
import type {
  InvariantChecker,
  NodeContext,
  NodeInspection,
  ProtocolDefinition,
  ProtocolNode,
  Ready,
} from '../../core/protocol.js';

export interface ProbeMessage {
  readonly type: 'written';
  readonly record: number;
}

/**
 * A test protocol for the disk model: on every tick a node writes the next record number (with
 * `sync` as its `options.sync` says, default true) and announces it to node 0 in the same batch.
 * After a restart it resumes numbering after what it restored. `inspect().state` shows what it
 * restored and what it has written, so tests can compare them with what it announced.
 */
export class DiskProbeNode implements ProtocolNode<ProbeMessage, number> {
  readonly id: NodeId;
  readonly restored: readonly number[];
  private readonly clock: Clock;
  private next: number;
  private readonly sync: boolean;
  private out: Ready<ProbeMessage, number> | undefined;
  /** Node 0's view: the highest record each node announced. */
  readonly announced = new Map<NodeId, number>();

  constructor(context: NodeContext<number>) {
    this.id = context.id;
    this.restored = context.restored;
    this.clock = context.clock;
    this.next = (context.restored[context.restored.length - 1] ?? 0) + 1;
    this.sync = context.options.sync !== false;
  }

  step(from: NodeId, message: ProbeMessage): void {
    this.announced.set(from, Math.max(this.announced.get(from) ?? 0, message.record));
  }

  tick(): void {
    const record = this.next++;
    this.out = {
      persist: [{ kind: 'append', records: [record] }],
      sync: this.sync,
      messages:
        this.id === 0 ? [] : [{ from: this.id, to: 0, message: { type: 'written', record } }],
      responses: [],
      notes: [],
    };
  }

  hasReady(): boolean {
    return this.out !== undefined;
  }

  ready(): Ready<ProbeMessage, number> {
    const out = this.out!;
    this.out = undefined;
    return out;
  }

  inspect(): NodeInspection {
    return {
      role: 'probe',
      state: {
        restored: this.restored.length,
        clockUs: this.clock.nowUs(),
        written: this.next - 1,
        announced: Object.fromEntries(this.announced),
      },
    };
  }
}

export const diskProbeDefinition: ProtocolDefinition<ProbeMessage, number, DiskProbeNode> = {
  name: 'disk-probe',
  summary: 'Writes one record per tick and announces it; a fixture for disk tests.',
  variants: [{ name: 'default', unsafe: false, description: 'The only variant.' }],
  serves: 'none',
  defaultNodes: 2,
  create: (context) => new DiskProbeNode(context),
  createInvariantChecker: (): InvariantChecker<DiskProbeNode> => ({ check: () => undefined }),
};
