import { assert } from '../../core/assert.js';
import type { NodeId } from '../../core/ids.js';

/**
 * The takeover rule, deliberately simple, because it is what breaks: views are numbered, the
 * primary of view v is member v mod n (in id order), and a backup that has heard nothing from its
 * primary for `failoverTicks` ticks moves to the next view. If it is that view's primary it takes
 * over at once, with whatever its own log holds: nobody asks the other replicas what they have.
 */
export function primaryOf(view: number, members: readonly NodeId[]): NodeId {
  assert(Number.isSafeInteger(view) && view >= 0, `bad view ${view}`);
  assert(members.length > 0, 'no members');
  return members[view % members.length] as NodeId;
}

/** Counts ticks since a backup last heard from its primary. */
export class FailoverTimer {
  private ticksSinceHeard = 0;

  /** `failoverTicks` 0: the primary is fixed and the timer never fires. */
  constructor(readonly failoverTicks: number) {
    assert(Number.isSafeInteger(failoverTicks) && failoverTicks >= 0, 'bad failoverTicks');
  }

  heard(): void {
    this.ticksSinceHeard = 0;
  }

  /** One tick; true when the primary has been silent for `failoverTicks` (and the count restarts). */
  tick(): boolean {
    if (this.failoverTicks === 0) return false;
    this.ticksSinceHeard++;
    if (this.ticksSinceHeard < this.failoverTicks) return false;
    this.ticksSinceHeard = 0;
    return true;
  }
}
