import { assert } from '../../core/assert.js';
import type { NodeId } from '../../core/ids.js';
import type { Envelope } from '../../core/protocol.js';
import { describeMessage } from './describe.js';
import { type PaxosNetwork, paxosNetwork } from './harness.js';
import type { PaxosMessage, PaxosValue } from './messages.js';
import { valueKey } from './messages.js';
import { PaxosInvariantChecker } from './invariants.js';
import { isPaxosVariant } from './options.js';
import type { ExpectedMessage, Scenario, ScenarioStep } from './scenarios.js';

export interface StepResult {
  readonly index: number;
  readonly step: ScenarioStep;
  /** What happened, in words: the narration and the messages the step produced. */
  readonly lines: readonly string[];
  /** Expectations of the step that did not hold (empty when all did). */
  readonly problems: readonly string[];
}

/**
 * Plays a scenario step by step on the test network: the tests run it to the end and assert that
 * no expectation failed; a visualizer or the CLI can call `next()` and show each step.
 */
export class ScenarioRun {
  readonly network: PaxosNetwork;
  private index = 0;
  private readonly names: ReadonlyMap<NodeId, string>;
  /** Invariant violations seen so far (the checker runs after every step's every event). */
  readonly violations: string[] = [];

  constructor(readonly scenario: Scenario) {
    this.names = new Map(scenario.nodes.map((node) => [node.id, node.name]));
    this.network = paxosNetwork({
      ids: scenario.nodes.map((node) => node.id),
      variant: scenario.variant,
      options: scenario.options,
      seed: scenario.seed,
    });
    const variant = scenario.variant;
    assert(isPaxosVariant(variant), `unknown paxos variant "${variant}"`);
    const checker = new PaxosInvariantChecker(variant);
    this.network.observers.push(() => {
      const broken = checker.check(this.network.view());
      if (broken === undefined) return;
      const text = `${broken.invariant}: ${broken.message}`;
      if (!this.violations.includes(text)) this.violations.push(text);
    });
  }

  get done(): boolean {
    return this.index >= this.scenario.steps.length;
  }

  name(id: NodeId): string {
    return this.names.get(id) ?? String(id);
  }

  next(): StepResult {
    assert(!this.done, 'the scenario is over');
    const index = this.index++;
    const step = this.scenario.steps[index] as ScenarioStep;
    const before = new Set(this.network.inFlight);
    const problems: string[] = [];
    this.execute(step, problems);
    const produced = this.network.inFlight.filter((envelope) => !before.has(envelope));
    if (step.do === 'deliver') this.checkDelivery(step, produced, problems);
    const violationsBefore = this.violations.length;
    const lines = [
      ...(step.say === undefined ? [] : [step.say]),
      ...produced.map((envelope) => `  ${this.describe(envelope)}`),
      ...this.violations.slice(violationsBefore).map((violation) => `  VIOLATION ${violation}`),
    ];
    return { index, step, lines, problems };
  }

  /** What each learner learned (undefined: nothing yet). */
  learned(): Map<NodeId, PaxosValue | undefined> {
    const result = new Map<NodeId, PaxosValue | undefined>();
    for (const { id } of this.scenario.nodes) {
      if (!this.network.isUp(id)) continue;
      const node = this.network.node(id);
      if (node.learner !== undefined) result.set(id, node.learned());
    }
    return result;
  }

  /** Problems with the scenario's final expectation. */
  checkOutcome(): string[] {
    const learned = [...this.learned().entries()];
    const expect = this.scenario.expect;
    if (expect.kind === 'agreement-violated')
      return this.violations.some((violation) => violation.startsWith('agreement'))
        ? []
        : ['expected the checker to find two values chosen; it found none'];
    if (this.violations.length > 0) return [...this.violations];
    const values = new Set(
      learned.map(([, value]) => (value === undefined ? undefined : valueKey(value))),
    );
    switch (expect.kind) {
      case 'nothing-chosen':
        return learned
          .filter(([, value]) => value !== undefined)
          .map(([id, value]) => `${this.name(id)} learned ${valueKey(value as PaxosValue)}`);
      case 'chosen':
        return learned
          .filter(([, value]) => value === undefined || valueKey(value) !== valueKey(expect.value))
          .map(
            ([id, value]) =>
              `${this.name(id)} learned ${value === undefined ? 'nothing' : valueKey(value)}, expected ${valueKey(expect.value)}`,
          );
      case 'learned':
        return Object.entries(expect.learned).flatMap(([id, value]) => {
          const actual = this.learned().get(Number(id));
          const actualKey = actual === undefined ? 'nothing' : valueKey(actual);
          const expectedKey = value === null ? 'nothing' : valueKey(value);
          return actualKey === expectedKey
            ? []
            : [`${this.name(Number(id))} learned ${actualKey}, expected ${expectedKey}`];
        });
      case 'one-value-chosen':
        return values.size === 1 && !values.has(undefined)
          ? []
          : [`learners disagree or did not learn: ${[...values].join(', ')}`];
    }
  }

  describe(envelope: Envelope<PaxosMessage>): string {
    return `${this.name(envelope.from)} → ${this.name(envelope.to)}: ${describeMessage(envelope.message)}`;
  }

  private execute(step: ScenarioStep, problems: string[]): void {
    const network = this.network;
    switch (step.do) {
      case 'propose':
        network.act(step.node, (node) =>
          node.propose(step.value, {
            ...(step.round === undefined ? {} : { round: step.round }),
            ...(step.to === undefined ? {} : { targets: step.to }),
          }),
        );
        return;
      case 'deliver':
        if (network.pending({ from: step.from, to: step.to, type: step.type }).length === 0) {
          problems.push(
            `no ${step.type} in flight from ${this.name(step.from)} to ${this.name(step.to)}`,
          );
          return;
        }
        network.deliver({ from: step.from, to: step.to, type: step.type });
        return;
      case 'deliver-all':
        network.deliverAll(step.type === undefined ? {} : { type: step.type });
        return;
      case 'crash':
        network.crash(step.node);
        return;
      case 'restart':
        network.restart(step.node);
        return;
      case 'tick':
        for (let count = 0; count < step.count; count++) network.tick(step.nodes);
        return;
      case 'run':
        for (let tick = 0; tick < step.ticksMax && !this.everyLearnerLearned(); tick++) {
          network.deliverAll();
          network.tick();
        }
        network.deliverAll();
        return;
    }
  }

  private everyLearnerLearned(): boolean {
    return [...this.learned().values()].every((value) => value !== undefined);
  }

  private checkDelivery(
    step: ScenarioStep & { do: 'deliver' },
    produced: readonly Envelope<PaxosMessage>[],
    problems: string[],
  ): void {
    if (step.expectSilence === true && produced.length > 0)
      problems.push(`expected no message, got ${produced.map((e) => this.describe(e)).join('; ')}`);
    const expected = step.expect;
    if (expected === undefined) return;
    const to = expected.to ?? step.from;
    if (
      !produced.some((envelope) => envelope.to === to && messageMatches(envelope.message, expected))
    )
      problems.push(
        `expected ${JSON.stringify(expected)} to ${this.name(to)}, got ${produced.map((e) => this.describe(e)).join('; ') || 'nothing'}`,
      );
  }
}

function messageMatches(message: PaxosMessage, expected: ExpectedMessage): boolean {
  if (message.type !== expected.type) return false;
  if (expected.accepted !== undefined) {
    if (message.type !== 'promise') return false;
    if (expected.accepted === null) {
      if (message.accepted !== null) return false;
    } else if (
      message.accepted === null ||
      message.accepted.ballot.round !== expected.accepted.round ||
      valueKey(message.accepted.value) !== valueKey(expected.accepted.value)
    )
      return false;
  }
  if (expected.lastRnd !== undefined) {
    if (message.type !== 'prepare-rejected' && message.type !== 'accept-rejected') return false;
    if (message.lastRnd.round !== expected.lastRnd) return false;
  }
  if (expected.value !== undefined) {
    if (message.type !== 'accept' && message.type !== 'accepted' && message.type !== 'learn')
      return false;
    if (valueKey(message.value) !== valueKey(expected.value)) return false;
  }
  return true;
}

/** Runs a scenario to the end; `problems` is empty when every expectation held. */
export function runScenario(scenario: Scenario): {
  run: ScenarioRun;
  transcript: string[];
  problems: string[];
} {
  const run = new ScenarioRun(scenario);
  const transcript: string[] = [];
  const problems: string[] = [];
  while (!run.done) {
    const result = run.next();
    transcript.push(`${result.index + 1}. ${result.step.do}`, ...result.lines);
    problems.push(...result.problems.map((problem) => `step ${result.index + 1}: ${problem}`));
  }
  problems.push(...run.checkOutcome());
  return { run, transcript, problems };
}
