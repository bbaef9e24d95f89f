import { assert } from '../core/assert.js';

export interface BackoffPolicy {
  /** Delay before the first retry, before jitter. */
  readonly backoffMsMin: number;
  /** The ceiling the doubling stops at. */
  readonly backoffMsMax: number;
}

/** Doublings past this are all at the ceiling; also keeps 2 ** attempt finite. */
const ATTEMPT_CAP = 30;

/**
 * Exponential backoff with "equal jitter": the delay doubles per failed attempt up to the ceiling,
 * and a random half of it is jittered away, so nodes that lost a peer at the same moment do not
 * reconnect in lockstep, while the delay never drops below half the nominal one. `random` returns
 * a number in [0, 1).
 */
export function backoffDelayMs(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number,
): number {
  assert(Number.isInteger(attempt) && attempt >= 0, `bad attempt ${attempt}`);
  assert(
    policy.backoffMsMin > 0 && policy.backoffMsMin <= policy.backoffMsMax,
    'bad backoff policy',
  );
  const nominal = Math.min(
    policy.backoffMsMax,
    policy.backoffMsMin * 2 ** Math.min(attempt, ATTEMPT_CAP),
  );
  const delay = nominal / 2 + (random() * nominal) / 2;
  assert(delay >= 0 && delay <= policy.backoffMsMax, 'backoff delay out of bounds');
  return Math.round(delay);
}
