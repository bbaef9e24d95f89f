import { assert } from './assert.js';
import type { NodeId } from './ids.js';

/**
 * Messages a node sends to itself (a leader is also its own acceptor), handled in place once the
 * current input is done rather than sent over the network. The drain is bounded, so a protocol bug
 * that makes a node talk to itself forever fails loudly instead of hanging the driver.
 */
export class SelfInbox<M> {
  private readonly queue: { readonly from: NodeId; readonly message: M }[] = [];

  constructor(private readonly deliveriesMax: number) {
    assert(Number.isSafeInteger(deliveriesMax) && deliveriesMax >= 1, 'bad deliveriesMax');
  }

  push(from: NodeId, message: M): void {
    this.queue.push({ from, message });
  }

  /** Hands every queued message, and every message they cause, to `handle`, oldest first. */
  drain(handle: (from: NodeId, message: M) => void): void {
    for (let count = 0; this.queue.length > 0; count++) {
      if (count >= this.deliveriesMax) assert(false, 'a node kept sending messages to itself');
      const next = this.queue.shift();
      if (next !== undefined) handle(next.from, next.message);
    }
  }
}
