import type { Tour, TourStepResult } from '../../../src/core/tour.js';

/**
 * Plays a guided tour with Next and Back. Tours are deterministic, so Back starts the tour again
 * and replays it to the step before.
 */
export class TourPlayer {
  private steps: TourStepResult[] = [];

  constructor(readonly tour: Tour) {}

  /** Steps played so far; the last is the one shown. */
  get played(): readonly TourStepResult[] {
    return this.steps;
  }

  get current(): TourStepResult | undefined {
    return this.steps.at(-1);
  }

  get atEnd(): boolean {
    return this.steps.length >= this.tour.stepCount;
  }

  next(): TourStepResult | undefined {
    if (this.atEnd) return undefined;
    this.replay(this.steps.length + 1);
    return this.current;
  }

  back(): TourStepResult | undefined {
    if (this.steps.length === 0) return undefined;
    this.replay(this.steps.length - 1);
    return this.current;
  }

  private replay(count: number): void {
    const run = this.tour.start();
    const steps: TourStepResult[] = [];
    while (steps.length < count && !run.done) steps.push(run.next());
    this.steps = steps;
  }
}
