/**
 * A limit on how long the search may run: a number of search steps (deterministic, what the
 * simulator uses) and optionally a deadline on an injected clock. Shared by every partition of one
 * check. Past it the verdict is "unknown", never a guess.
 */
export class SearchBudget {
  private stepsUsed = 0;
  private exhaustedBy: 'steps' | 'time' | undefined;
  private readonly deadlineMs: number;

  constructor(
    private readonly maxSteps: number,
    timeoutMs: number,
    private readonly now: () => number,
  ) {
    this.deadlineMs = timeoutMs === Infinity ? Infinity : now() + timeoutMs;
  }

  get steps(): number {
    return this.stepsUsed;
  }

  get exhausted(): 'steps' | 'time' | undefined {
    return this.exhaustedBy;
  }

  /** Counts one step; false once the budget is spent. The clock is read every 1024 steps. */
  spend(): boolean {
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
