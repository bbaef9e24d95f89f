/**
 * At 1× a second of watching is 50 ms of virtual time: a 10 ms message crosses the screen in a
 * fifth of a second and a Raft election timeout (150–300 ms) takes a few seconds.
 */
export const VIRTUAL_US_PER_SECOND = 50_000;
export const SPEED_MIN = 0.1;
export const SPEED_MAX = 10;

/** The speed slider runs from -1 to 1, logarithmically: 10^value, 0.1× to 10×. */
export function speedFromSlider(value: number): number {
  const speed = 10 ** value;
  return Math.min(SPEED_MAX, Math.max(SPEED_MIN, Math.round(speed * 100) / 100));
}

/** Virtual time that passes in `elapsedMs` of wall time at `speed`. */
export function virtualAdvanceUs(elapsedMs: number, speed: number): number {
  // A long pause (a background tab) must not turn into minutes of simulation at once.
  const boundedMs = Math.min(elapsedMs, 100);
  return Math.round((boundedMs / 1000) * VIRTUAL_US_PER_SECOND * speed);
}
