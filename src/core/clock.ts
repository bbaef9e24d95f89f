import { assert } from './assert.js';

/**
 * Time as the drivers see it, in microseconds. Protocol nodes never read a clock: they receive
 * `tick()` calls. Clocks exist for drivers (simulator, server) and for protocols whose safety
 * argument is about clocks (leases), which receive readings as inputs.
 */
export interface Clock {
  nowUs(): number;
}

/** Virtual time for the simulator. It refuses to go backwards. */
export class ManualClock implements Clock {
  private timeUs: number;

  constructor(startUs = 0) {
    assert(Number.isSafeInteger(startUs) && startUs >= 0, `bad start time ${startUs}`);
    this.timeUs = startUs;
  }

  nowUs(): number {
    return this.timeUs;
  }

  advanceTo(timeUs: number): void {
    assert(
      Number.isSafeInteger(timeUs),
      `time must be an integer number of microseconds: ${timeUs}`,
    );
    assert(timeUs >= this.timeUs, `clock cannot go backwards: ${timeUs} < ${this.timeUs}`);
    this.timeUs = timeUs;
  }

  advanceBy(durationUs: number): void {
    this.advanceTo(this.timeUs + durationUs);
  }
}

/**
 * A node's local clock as it drifts from true time: `offsetUs` at true time zero, running fast by
 * `driftPpm` parts per million (negative: slow). Lease protocols state their safety in terms of a
 * bound on this drift; the simulator uses it to break them beyond the bound.
 */
export class DriftingClock implements Clock {
  constructor(
    private readonly trueTime: Clock,
    readonly offsetUs: number,
    readonly driftPpm: number,
  ) {
    assert(Number.isFinite(offsetUs) && Number.isFinite(driftPpm), 'bad clock skew');
    assert(driftPpm > -1_000_000, `drift ${driftPpm} ppm would stop or reverse the clock`);
  }

  nowUs(): number {
    const trueUs = this.trueTime.nowUs();
    return Math.floor(trueUs + this.offsetUs + (trueUs * this.driftPpm) / 1_000_000);
  }
}

export const US_PER_MS = 1000;
export const US_PER_S = 1_000_000;
