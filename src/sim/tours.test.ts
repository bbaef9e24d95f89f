import { describe, expect, it } from 'vitest';
import { TOURS, findTour } from './tours.js';

describe('guided tours', () => {
  it('have unique names', () => {
    const names = TOURS.map((tour) => tour.name);
    expect(new Set(names).size).toBe(names.length);
  });

  for (const tour of TOURS) {
    it(`${tour.name} plays to its end with every expectation holding, and replays identically`, () => {
      const play = () => {
        const run = tour.start();
        const steps = [];
        while (!run.done) steps.push(run.next());
        return steps;
      };
      const first = play();
      expect(first).toHaveLength(tour.stepCount);
      expect(first.flatMap((step) => step.problems)).toEqual([]);
      expect(play()).toEqual(first);
    });
  }

  it('refuses an unknown tour by name, pointing at the list', () => {
    expect(() => findTour('no-such-tour')).toThrow(/synod scenario list/);
  });
});
