import { assert } from '../core/assert.js';
import type { Bytes, MvccEvent, MvccStore } from '../storage/mvcc/index.js';
import type { AppliedChanges } from './etcd-application.js';

/** One watch as the hub sees it; the watch service owns the stream it writes to. */
export interface WatchSubscription {
  readonly key: Bytes;
  /** Empty: the single key; '\0': every key >= key; otherwise [key, rangeEnd). */
  readonly rangeEnd: Bytes;
  readonly prevKv: boolean;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  /** The next revision this watcher must see; events below it were sent or precede its start. */
  nextRevision: number;
  /** Events for this watcher, in revision order, never empty. */
  readonly onEvents: (events: MvccEvent[]) => void;
  /** The start revision was compacted away: the watch is over. */
  readonly onCompacted: (compactRevision: number) => void;
}

/** Upper bound on watches on one member (all streams together). */
export const WATCHES_MAX = 100_000;

/**
 * Fans durable changes out to watches. A watch is "synced" once its `nextRevision` is past the
 * published revision: new batches are pushed to it as they become durable. A watch that starts in
 * the past (or after a snapshot replaced the state) catches up from the store's history first, up
 * to the published revision only, so it never sees a change that is not durable yet, and then
 * continues from the next batch: revision order, no gaps, no duplicates.
 */
export class WatchHub {
  private readonly watches = new Set<WatchSubscription>();
  private published: number;

  constructor(private readonly store: MvccStore) {
    this.published = store.currentRevision;
  }

  /** The revision of the last durable change published: progress notifications report it. */
  get publishedRevision(): number {
    return this.published;
  }

  get size(): number {
    return this.watches.size;
  }

  /** Adds a watch; `startRevision` 0 means "from the next change". */
  add(watch: Omit<WatchSubscription, 'nextRevision'>, startRevision: number): WatchSubscription {
    assert(this.watches.size < WATCHES_MAX, 'too many watches');
    const subscription: WatchSubscription = {
      ...watch,
      nextRevision: startRevision > 0 ? startRevision : this.published + 1,
    };
    this.watches.add(subscription);
    if (subscription.nextRevision <= this.published) this.catchUp(subscription, this.published);
    return subscription;
  }

  remove(watch: WatchSubscription): void {
    this.watches.delete(watch);
  }

  /** A drained batch is now durable: deliver its changes. */
  publish(changes: AppliedChanges): void {
    if (changes.restored) {
      for (const watch of [...this.watches]) this.catchUp(watch, changes.revision);
    } else if (changes.events.length > 0) {
      for (const watch of this.watches) this.deliver(watch, changes.events, changes.revision);
    }
    this.published = Math.max(this.published, changes.revision);
  }

  private deliver(watch: WatchSubscription, events: readonly MvccEvent[], upTo: number): void {
    const chosen = events.filter(
      (event) => event.kv.modRevision >= watch.nextRevision && this.wants(watch, event),
    );
    if (watch.nextRevision <= upTo) watch.nextRevision = upTo + 1;
    if (chosen.length > 0) watch.onEvents(chosen.map((event) => shape(watch, event)));
  }

  private catchUp(watch: WatchSubscription, upTo: number): void {
    const found = this.store.eventsSince(
      watch.key,
      watch.rangeEnd === '' ? undefined : watch.rangeEnd,
      watch.nextRevision,
    );
    if (!found.ok) {
      this.watches.delete(watch);
      watch.onCompacted(found.compactRevision);
      return;
    }
    this.deliver(
      watch,
      found.events.filter((event) => event.kv.modRevision <= upTo),
      upTo,
    );
  }

  private wants(watch: WatchSubscription, event: MvccEvent): boolean {
    if (event.type === 'PUT' ? watch.noPut : watch.noDelete) return false;
    return inRange(event.kv.key, watch.key, watch.rangeEnd);
  }
}

function shape(watch: WatchSubscription, event: MvccEvent): MvccEvent {
  if (watch.prevKv || event.prevKv === undefined) return event;
  return { type: event.type, kv: event.kv };
}

/** etcd's range convention for a watch: single key, from-key ('\0'), or [key, rangeEnd). */
export function inRange(key: Bytes, start: Bytes, rangeEnd: Bytes): boolean {
  if (rangeEnd === '') return key === start;
  if (rangeEnd === '\0') return key >= start;
  return key >= start && key < rangeEnd;
}
