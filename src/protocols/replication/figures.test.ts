import { describe, expect, it } from 'vitest';
import { measureFigures } from './figures.js';
import { REPLICATION_VARIANTS } from './options.js';

describe('figures measured on the test cluster', () => {
  it('write latency in message delays and writes available with f replicas down (3 and 5 nodes)', () => {
    const table = [3, 5].flatMap((nodes) =>
      REPLICATION_VARIANTS.map(({ name }) => ({ nodes, ...measureFigures(name, nodes) })),
    );
    console.table(table);
    const row = (nodes: number, variant: string) =>
      table.find((entry) => entry.nodes === nodes && entry.variant === variant);
    // Asynchronous: the primary answers before any message leaves, and alone.
    expect(row(3, 'async')).toMatchObject({ writeDelays: 0, writesSurviveDown: 2 });
    // Synchronous: one round trip to every backup, and no backup may be down.
    expect(row(5, 'default')).toMatchObject({ writeDelays: 2, writesSurviveDown: 0 });
    // Semi-synchronous with k = 1: one round trip, any backup but one may be down.
    expect(row(5, 'semisync')).toMatchObject({ writeDelays: 2, writesSurviveDown: 3 });
    // Quorum strategies read a majority, then write one: two round trips, a minority may be down.
    for (const variant of ['majority', 'lww', 'versioned', 'prepared'])
      expect(row(5, variant)).toMatchObject({ writeDelays: 4, writesSurviveDown: 2 });
  });
});
