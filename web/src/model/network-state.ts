import type { NodeId } from '../../../src/core/ids.js';
import type { TraceEvent } from '../../../src/sim/index.js';
import { type DropView, type MessageView, messageLabel } from './frame.js';

/** How many dropped messages are remembered for drawing; older ones have long faded. */
const DROPS_REMEMBERED_MAX = 200;

/**
 * The network as the trace tells it: messages in flight, recent drops, cut links and storms. Fed
 * every trace event in order; the simulator itself keeps no such view for a reader.
 */
export class NetworkState {
  private readonly inFlight = new Map<number, MessageView>();
  private readonly recentDrops: DropView[] = [];
  private cutLinks: (readonly [NodeId, NodeId])[] = [];
  private stormNow: { loss: number; duplication: number } | undefined;
  /** `messages()` as last built: the animation asks every frame, the set changes less often. */
  private messagesShown: MessageView[] | undefined;

  apply(event: TraceEvent): void {
    if (event.type === 'send' || event.type === 'duplicate' || event.type === 'deliver')
      this.messagesShown = undefined;
    switch (event.type) {
      case 'send':
      case 'duplicate':
        this.inFlight.set(event.id, {
          id: event.id,
          from: event.from,
          to: event.to,
          label: messageLabel(event.message),
          sentUs: event.t,
          deliverAtUs: event.deliverAt,
          duplicate: event.type === 'duplicate',
          message: event.message,
        });
        break;
      case 'deliver':
        this.inFlight.delete(event.id);
        break;
      case 'drop':
        this.onDrop(event.id, event.t, event.reason, event);
        break;
      case 'partition':
        this.cutLinks = event.cut.map(([from, to]) => [from, to] as const);
        break;
      case 'heal':
        this.cutLinks = [];
        break;
      case 'storm':
        this.stormNow = { loss: event.lossProbability, duplication: event.duplicateProbability };
        break;
      case 'calm':
        this.stormNow = undefined;
        break;
      default:
        break;
    }
  }

  /** The messages in flight; the same array until one is sent, delivered or dropped. */
  messages(): readonly MessageView[] {
    this.messagesShown ??= [...this.inFlight.values()];
    return this.messagesShown;
  }

  /** Drops at or after `sinceUs`. */
  drops(sinceUs: number): DropView[] {
    return this.recentDrops.filter((drop) => drop.droppedUs >= sinceUs);
  }

  cut(): (readonly [NodeId, NodeId])[] {
    return [...this.cutLinks];
  }

  storm(): { loss: number; duplication: number } | undefined {
    return this.stormNow;
  }

  private onDrop(
    id: number,
    droppedUs: number,
    reason: string,
    event: { from: NodeId; to: NodeId; message: unknown },
  ): void {
    const known = this.inFlight.get(id);
    this.inFlight.delete(id);
    this.messagesShown = undefined;
    const base: MessageView = known ?? {
      id,
      from: event.from,
      to: event.to,
      label: messageLabel(event.message),
      sentUs: droppedUs,
      deliverAtUs: droppedUs,
      duplicate: false,
      message: event.message,
    };
    this.recentDrops.push({ ...base, droppedUs, reason });
    if (this.recentDrops.length > DROPS_REMEMBERED_MAX) this.recentDrops.shift();
  }
}
