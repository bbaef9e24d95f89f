import { toKeyValue } from './key-history.js';
import type { KeyRange, KeySpace } from './key-space.js';
import type { MvccEvent } from './types.js';
import { eventOf } from './write-batch.js';

/**
 * Rebuilds, from the retained history, the events `apply` emitted for the keys of `range` at
 * revisions >= `startRevision`, in (revision, sub-revision) order: what a watch created in the
 * past must be sent first. `prevKv` is the change before each one when it is still retained and
 * not a tombstone — which compaction guarantees for every change above the compacted revision.
 * It walks the keys of the range; live watchers get `apply`'s events instead.
 */
export function replayEvents(space: KeySpace, range: KeyRange, startRevision: number): MvccEvent[] {
  const found: { event: MvccEvent; subRevision: number }[] = [];
  space.scanKeys(range, (key, history) => {
    history.forEach((change, index) => {
      if (change.mainRevision < startRevision) return;
      const before = history[index - 1];
      const previous = before === undefined || before.tombstone ? undefined : before;
      const type = change.tombstone ? 'DELETE' : 'PUT';
      const event = eventOf(type, toKeyValue(key, change), previous, key);
      found.push({ event, subRevision: change.subRevision });
    });
  });
  found.sort(
    (a, b) => a.event.kv.modRevision - b.event.kv.modRevision || a.subRevision - b.subRevision,
  );
  return found.map(({ event }) => event);
}
