import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventQueue } from './event-queue.js';

interface Item {
  timeUs: number;
  seq: number;
  label: number;
}

describe('EventQueue', () => {
  it('pops in time order, and events at the same time in the order they were pushed', () => {
    const queue = new EventQueue<Item>();
    for (const [timeUs, label] of [
      [5, 0],
      [1, 1],
      [5, 2],
      [3, 3],
      [1, 4],
    ] as const)
      queue.push({ timeUs, seq: 0, label });
    const labels: number[] = [];
    for (let item = queue.pop(); item !== undefined; item = queue.pop()) labels.push(item.label);
    expect(labels).toEqual([1, 4, 3, 0, 2]);
  });

  it('matches a stable sort by time for any interleaving of pushes and pops', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(-1)), { maxLength: 300 }),
        (script) => {
          const queue = new EventQueue<Item>();
          const model: Item[] = [];
          let label = 0;
          for (const step of script) {
            if (step >= 0) {
              const item = { timeUs: step, seq: 0, label: label++ };
              queue.push(item);
              model.push(item);
              continue;
            }
            model.sort((a, b) => a.timeUs - b.timeUs || a.label - b.label);
            expect(queue.pop()?.label).toBe(model.shift()?.label);
          }
          expect(queue.size).toBe(model.length);
        },
      ),
    );
  });

  it('refuses to grow past its bound', () => {
    const queue = new EventQueue<Item>(2);
    queue.push({ timeUs: 0, seq: 0, label: 0 });
    queue.push({ timeUs: 0, seq: 0, label: 1 });
    expect(() => queue.push({ timeUs: 0, seq: 0, label: 2 })).toThrow(/event queue full/);
  });
});
