import type { NodeId } from '../../../src/core/ids.js';
import type { NodeInspection } from '../../../src/core/protocol.js';
import type { SimViolation } from '../../../src/sim/index.js';

/** A message on the wire, drawn as a dot from `from` to `to` between `sentUs` and `deliverAtUs`. */
export interface MessageView {
  readonly id: number;
  readonly from: NodeId;
  readonly to: NodeId;
  /** The message's `type` ("append", "vote-request", "prepare"…). */
  readonly label: string;
  readonly sentUs: number;
  readonly deliverAtUs: number;
  readonly duplicate: boolean;
  readonly message: unknown;
}

/** A message the network dropped, shown as a cross where it died. */
export interface DropView extends MessageView {
  readonly droppedUs: number;
  readonly reason: string;
}

export interface NodeView {
  readonly id: NodeId;
  /** A live member's name ("n1"); simulated nodes are drawn as `n<id>`. */
  readonly name?: string;
  /** What a crashed node's circle says instead ("down": a live member that does not answer). */
  readonly statusText?: string;
  readonly status: 'up' | 'paused' | 'crashed';
  readonly incarnation: number;
  /** Undefined while crashed. */
  readonly inspection: NodeInspection | undefined;
}

/** Everything the view draws at one moment; plain data, independent of the DOM. */
export interface Frame {
  readonly timeUs: number;
  /** The position on the timeline: how many visible steps have run. */
  readonly step: number;
  readonly nodes: readonly NodeView[];
  readonly messages: readonly MessageView[];
  readonly drops: readonly DropView[];
  /** Directed links that are cut, as `[from, to]`. */
  readonly cut: readonly (readonly [NodeId, NodeId])[];
  readonly storm: { readonly loss: number; readonly duplication: number } | undefined;
  readonly violation: SimViolation | undefined;
  readonly done: boolean;
}

/** Where a message dot is at `timeUs`, from 0 (sender) to 1 (receiver). */
export function messageProgress(message: MessageView, timeUs: number): number {
  const spanUs = message.deliverAtUs - message.sentUs;
  if (spanUs <= 0) return 1;
  return Math.min(1, Math.max(0, (timeUs - message.sentUs) / spanUs));
}

/** Where a dropped message died, from 0 to 1 along its link. */
export function dropProgress(drop: DropView): number {
  return messageProgress(drop, drop.droppedUs);
}

export function messageLabel(message: unknown): string {
  if (typeof message === 'object' && message !== null && 'type' in message) {
    const type = (message as { type: unknown }).type;
    if (typeof type === 'string') return type;
  }
  return '?';
}
