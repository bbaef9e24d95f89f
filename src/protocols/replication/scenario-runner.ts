import { assert, unreachable } from '../../core/assert.js';
import { ReplicationCluster } from './harness.js';
import type { Scenario, ScenarioStep } from './scenario-types.js';

export interface StepResult {
  readonly index: number;
  readonly step: ScenarioStep;
  /** What happened, in words: the narration, then the notes and responses the step produced. */
  readonly lines: readonly string[];
  /** Expectations of the step that did not hold (empty when all did). */
  readonly problems: readonly string[];
}

function json(value: unknown): string {
  return JSON.stringify(value);
}

/**
 * Plays a scenario on the test cluster, one step at a time: the tests run it to the end and assert
 * that no expectation failed; the visualizer or the CLI can call `next()` and show each step.
 */
export class ScenarioRun {
  readonly cluster: ReplicationCluster;
  private index = 0;

  constructor(readonly scenario: Scenario) {
    this.cluster = new ReplicationCluster({
      variant: scenario.variant,
      nodes: scenario.nodes,
      options: scenario.options ?? {},
    });
  }

  get done(): boolean {
    return this.index >= this.scenario.steps.length;
  }

  next(): StepResult {
    assert(!this.done, 'the scenario is over');
    const index = this.index++;
    const step = this.scenario.steps[index] as ScenarioStep;
    const notesBefore = this.cluster.notes.length;
    const responsesBefore = new Set(this.cluster.responses.keys());
    const violationsBefore = this.cluster.violations.length;
    const problems = this.execute(step);
    const lines = [
      ...(step.say === undefined ? [] : [step.say]),
      ...this.cluster.notes
        .slice(notesBefore)
        .map(({ node, note }) => `  node ${node}: ${note.text}`),
      ...[...this.cluster.responses]
        .filter(([id]) => !responsesBefore.has(id))
        .map(([id, response]) => `  request ${id} answered: ${json(response)}`),
      ...this.cluster.violations
        .slice(violationsBefore)
        .map((violation) => `  VIOLATION ${violation.invariant}: ${violation.message}`),
    ];
    return { index, step, lines, problems };
  }

  /** Runs every remaining step; returns all results. */
  runToEnd(): StepResult[] {
    const results: StepResult[] = [];
    while (!this.done) results.push(this.next());
    return results;
  }

  private execute(step: ScenarioStep): string[] {
    const cluster = this.cluster;
    switch (step.do) {
      case 'request':
        cluster.request(step.node, step.id, step.op);
        return [];
      case 'tick':
        cluster.tick(step.nodes, step.count);
        return [];
      case 'deliver':
        return cluster.deliver(step) === 0 ? [`nothing to deliver for ${json(step)}`] : [];
      case 'deliver-all':
        cluster.deliverAll(step);
        return [];
      case 'drop':
        return cluster.drop(step) === 0 ? [`nothing to drop for ${json(step)}`] : [];
      case 'crash':
        cluster.crash(step.node);
        return [];
      case 'restart':
        cluster.restart(step.node);
        return [];
      case 'cut':
        cluster.cut(step.between[0], step.between[1]);
        return [];
      case 'heal':
        cluster.heal();
        return [];
      case 'expect-response':
        return this.expectResponse(step);
      case 'expect-state': {
        const kv = cluster.node(step.node).inspect().state.kv;
        return json(kv) === json(step.kv)
          ? []
          : [`node ${step.node} holds ${json(kv)}, expected ${json(step.kv)}`];
      }
      case 'expect-role': {
        const role = cluster.node(step.node).inspect().role;
        return role === step.role ? [] : [`node ${step.node} is ${role}, expected ${step.role}`];
      }
      case 'expect-violation':
        return cluster.violations.some((violation) => violation.invariant === step.invariant)
          ? []
          : [`expected a violation of ${step.invariant}, found ${json(cluster.violations)}`];
      case 'expect-no-violation':
        return cluster.violations.length === 0
          ? []
          : [`expected no violation, found ${json(cluster.violations)}`];
      default:
        return unreachable(step, 'scenario step');
    }
  }

  private expectResponse(step: Extract<ScenarioStep, { do: 'expect-response' }>): string[] {
    const response = this.cluster.responses.get(step.id);
    if (step.outcome === 'none')
      return response === undefined ? [] : [`request ${step.id} was answered: ${json(response)}`];
    if (response?.outcome !== step.outcome)
      return [`request ${step.id}: expected ${step.outcome}, got ${json(response)}`];
    if (
      step.result !== undefined &&
      response.outcome === 'ok' &&
      json(response.result) !== json(step.result)
    )
      return [`request ${step.id}: expected ${json(step.result)}, got ${json(response.result)}`];
    return [];
  }
}

/** Runs a whole scenario; the problems of every step, prefixed with the step number. */
export function runScenario(scenario: Scenario): { run: ScenarioRun; problems: string[] } {
  const run = new ScenarioRun(scenario);
  const problems = run
    .runToEnd()
    .flatMap((result) =>
      result.problems.map((problem) => `step ${result.index + 1} (${result.step.do}): ${problem}`),
    );
  return { run, problems };
}
