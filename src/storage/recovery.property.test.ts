import { mkdtemp, readdir, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PersistOp } from '../core/protocol.js';
import { DurableStore } from './durable-store.js';

/**
 * Whatever sequence of appends and replaces ran, and wherever a crash cut the last segment,
 * recovery returns a prefix of the durable state that lacks at most the records of that segment.
 */
const record = fc.oneof(
  fc.integer(),
  fc.string({ maxLength: 300 }),
  fc.record({ term: fc.nat(), data: fc.string({ maxLength: 80 }) }),
);
const op: fc.Arbitrary<PersistOp<unknown>> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      records: fc.array(record, { maxLength: 8 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('replace' as const),
      records: fc.array(record, { maxLength: 20 }),
    }),
  },
);

function model(ops: readonly PersistOp<unknown>[]): unknown[] {
  let state: unknown[] = [];
  for (const { kind, records } of ops)
    state = kind === 'replace' ? [...records] : [...state, ...records];
  return state;
}

describe('recovery after a cut anywhere in the last segment (property)', () => {
  it('returns a prefix of the durable state, missing at most the last segment', async () => {
    const root = await mkdtemp(join(tmpdir(), 'synod-property-'));
    let run = 0;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(op, { minLength: 1, maxLength: 40 }),
          fc.double({ min: 0, max: 1, noNaN: true }),
          async (ops, cutFraction) => {
            const dir = join(root, `run-${run++}`);
            const options = { segmentBytesMax: 4096 };
            const store = await DurableStore.open(dir, options);
            await store.load();
            for (const persist of ops) await store.apply([persist], true);
            await store.close();
            const expected = model(ops);

            const clean = await DurableStore.open(dir, options);
            const cleanLoad = await clean.load();
            await clean.close();
            expect(cleanLoad.records).toEqual(expected);
            const lastSegmentRecords = cleanLoad.report.segments.at(-1)?.records ?? 0;

            const segments = (await readdir(join(dir, 'wal'))).sort();
            const last = join(dir, 'wal', segments.at(-1) as string);
            const size = (await stat(last)).size;
            await truncate(last, Math.floor(size * cutFraction));

            const reopened = await DurableStore.open(dir, options);
            const { records } = await reopened.load();
            await reopened.close();
            expect(records).toEqual(expected.slice(0, records.length));
            expect(expected.length - records.length).toBeLessThanOrEqual(lastSegmentRecords);
            await rm(dir, { recursive: true, force: true });
          },
        ),
        { numRuns: 40 },
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
