export type ExhaustedBy = 'steps' | 'time' | 'memory';

/** How much the search's memo may hold before the verdict becomes "unknown" (about 200 MB each). */
export const MEMO_ENTRIES_MAX = 4_000_000;
export const MEMO_STATE_CHARS_MAX = 100_000_000;

/**
 * A limit on how long the search may run: a number of search steps (deterministic, what the
 * simulator uses), optionally a deadline on an injected clock, and a bound on the memo's memory
 * (deterministic too), so that no history can exhaust the process. Shared by every partition of
 * one check. Past it the verdict is "unknown", never a guess.
 */
export class SearchBudget {
  private stepsUsed = 0;
  private exhaustedBy: ExhaustedBy | undefined;
  private readonly deadlineMs: number;

  constructor(
    private readonly maxSteps: number,
    timeoutMs: number,
    private readonly now: () => number,
    readonly memoEntriesMax = MEMO_ENTRIES_MAX,
    readonly memoStateCharsMax = MEMO_STATE_CHARS_MAX,
  ) {
    this.deadlineMs = timeoutMs === Infinity ? Infinity : now() + timeoutMs;
  }

  /** Called by the search when its memo passes a bound: the next `spend()` fails. */
  exhaustMemory(): void {
    this.exhaustedBy ??= 'memory';
  }

  get steps(): number {
    return this.stepsUsed;
  }

  get exhausted(): ExhaustedBy | undefined {
    return this.exhaustedBy;
  }

  /** Counts one step; false once the budget is spent. The clock is read every 1024 steps. */
  spend(): boolean {
    if (this.exhaustedBy !== undefined) return false;
    this.stepsUsed++;
    if (this.stepsUsed > this.maxSteps) {
      this.exhaustedBy = 'steps';
      return false;
    }
    if (
      (this.stepsUsed & 1023) === 0 &&
      this.deadlineMs !== Infinity &&
      this.now() > this.deadlineMs
    ) {
      this.exhaustedBy = 'time';
      return false;
    }
    return true;
  }
}
