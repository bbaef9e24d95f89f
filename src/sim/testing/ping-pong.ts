import type { NodeId } from '../../core/ids.js';
import type {
  ClusterView,
  Envelope,
  InvariantChecker,
  NodeContext,
  NodeInspection,
  ProtocolDefinition,
  ProtocolNode,
  Ready,
} from '../../core/protocol.js';

export interface PingMessage {
  readonly type: 'ping';
  readonly hop: number;
}

/**
 * The cheapest protocol there is: on its first tick a node sends a ping to every peer; whoever
 * gets a ping answers with one. Messages circulate forever, so a run measures the simulator's own
 * cost per delivery (the benchmark) and exercises the network (tests). Not in the registry.
 */
export class PingPongNode implements ProtocolNode<PingMessage, never> {
  readonly id: NodeId;
  received = 0;
  private started = false;
  private readonly peers: readonly NodeId[];
  private messages: Envelope<PingMessage>[] = [];

  constructor(context: NodeContext<never>) {
    this.id = context.id;
    this.peers = context.members.filter((id) => id !== context.id);
  }

  step(from: NodeId, message: PingMessage): void {
    this.received++;
    this.messages.push({
      from: this.id,
      to: from,
      message: { type: 'ping', hop: message.hop + 1 },
    });
  }

  tick(): void {
    if (this.started) return;
    this.started = true;
    for (const to of this.peers)
      this.messages.push({ from: this.id, to, message: { type: 'ping', hop: 0 } });
  }

  hasReady(): boolean {
    return this.messages.length > 0;
  }

  ready(): Ready<PingMessage, never> {
    const messages = this.messages;
    this.messages = [];
    return { persist: [], sync: true, messages, responses: [], notes: [] };
  }

  inspect(): NodeInspection {
    return { role: 'pinger', state: { received: this.received } };
  }
}

const noInvariants: InvariantChecker<PingPongNode> = {
  check: (_view: ClusterView<PingPongNode>) => undefined,
};

export const pingPongDefinition: ProtocolDefinition<PingMessage, never, PingPongNode> = {
  name: 'ping-pong',
  summary: 'Nodes bounce pings forever; measures the simulator itself.',
  variants: [{ name: 'default', unsafe: false, description: 'The only variant.' }],
  serves: 'none',
  defaultNodes: 3,
  create: (context) => new PingPongNode(context),
  createInvariantChecker: () => noInvariants,
};
