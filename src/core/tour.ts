/**
 * A guided tour: a worked example from the docs as a fixed schedule of steps, played one step at a
 * time. `synod scenario run` prints it; the visualizer will show it with Next and Back. Each
 * protocol keeps its own step format and runner and exposes its examples through this contract.
 */
export interface Tour {
  /** Unique across protocols: `synod scenario run NAME`. */
  readonly name: string;
  readonly protocol: string;
  readonly title: string;
  readonly description: string;
  readonly stepCount: number;
  /** A fresh run from the first step; runs are deterministic, so Back is "start again and replay". */
  start(): TourRun;
}

export interface TourRun {
  readonly done: boolean;
  /** Plays the next step. */
  next(): TourStepResult;
}

export interface TourStepResult {
  readonly index: number;
  /** The step as a person reads it ("deliver A's prepare to X"). */
  readonly title: string;
  /** What happened: the narration, then the messages, responses and notes the step produced. */
  readonly lines: readonly string[];
  /** Expectations of the step that did not hold; a correct tour has none. */
  readonly problems: readonly string[];
}

/** What every protocol's scenario format has in common. */
export interface TourScenario {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly steps: readonly unknown[];
}

/** A tour of `scenario`, played by the runs that `start` makes. */
export function tourOf(protocol: string, scenario: TourScenario, start: () => TourRun): Tour {
  return {
    name: scenario.name,
    protocol,
    title: scenario.title,
    description: scenario.description,
    stepCount: scenario.steps.length,
    start,
  };
}
