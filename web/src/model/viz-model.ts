import { assert } from '../../../src/core/assert.js';
import type { NodeId } from '../../../src/core/ids.js';
import type { KvOp } from '../../../src/core/kv.js';
import {
  type NemesisAction,
  type RunResult,
  type SimConfig,
  type SimViolation,
  Simulation,
  type TraceEvent,
} from '../../../src/sim/index.js';
import type { Frame, NodeView } from './frame.js';
import { NetworkState } from './network-state.js';

/** Something a person did to the run: a fault or a client request, replayed on every rebuild. */
export type VizInput =
  | { readonly kind: 'inject'; readonly action: NemesisAction }
  | { readonly kind: 'submit'; readonly node: NodeId; readonly op: KvOp };

interface RecordedInput {
  /** Simulator events run before the input, and the clock when it was given. */
  readonly steps: number;
  readonly timeUs: number;
  readonly input: VizInput;
}

/**
 * A visible position on the timeline: after `steps` simulator events and `inputs` inputs. Only
 * simulator events that produced a trace event make a mark (a tick that changes nothing is not a
 * step a person wants to watch).
 */
interface Mark {
  readonly steps: number;
  readonly inputs: number;
  readonly timeUs: number;
  /** How many trace events exist at this mark. */
  readonly events: number;
}

/** Bound on simulator events per call, so a protocol that never goes quiet cannot hang the page. */
const EVENTS_PER_CALL_MAX = 2_000_000;
/** Steps before the target whose node views a rebuild keeps, so going further back is instant. */
const CHECKPOINT_WINDOW = 200;
/** Bound on the node views kept (each holds every node's inspection); the oldest go first. */
const CHECKPOINTS_MAX = 600;

/**
 * The visualizer's model of one run: wraps a `Simulation`, records what a person injects, and
 * moves both ways on the timeline. The simulator is deterministic, so going back means building it
 * again from the seed and replaying the same inputs at the same positions; going back and then
 * injecting something forks the run there (later inputs are forgotten).
 */
export class VizModel {
  private sim!: Simulation;
  private network!: NetworkState;
  private eventLog: TraceEvent[] = [];
  private readonly inputs: RecordedInput[] = [];
  /** Every mark reached so far on this timeline; `cursor` is the one shown. */
  private marks: Mark[] = [];
  private cursor = 0;
  private inputsApplied = 0;
  private timeNowUs = 0;
  private runResult: RunResult | undefined;
  private nodesCache: { key: string; nodes: readonly NodeView[] } | undefined;
  /** Node views of steps shown or replayed recently, by step index. */
  private readonly checkpoints = new Map<number, readonly NodeView[]>();
  /**
   * A step behind `cursor` shown from its checkpoint, while the simulation stays at `cursor`:
   * stepping back over checkpoints needs no rebuild. Anything that runs the simulation first
   * rebuilds it at the step shown (`attach`).
   */
  private detached: { index: number; network: NetworkState } | undefined;
  /** How many times the simulation was built (first run and every step back); for tests. */
  rebuilds = 0;

  constructor(
    readonly config: SimConfig,
    private readonly options: { readonly checkpointsMax?: number } = {},
  ) {
    this.rebuild();
    this.marks = [this.currentMark()];
  }

  get timeUs(): number {
    return this.detached === undefined ? this.timeNowUs : this.marks[this.detached.index]!.timeUs;
  }

  /** Index of the visible step shown (0: the start). */
  get step(): number {
    return this.detached?.index ?? this.cursor;
  }

  /** How many visible steps of this timeline are known (reached at least once). */
  get stepsKnown(): number {
    return this.marks.length;
  }

  // A detached step lies before the simulation's position, so before its end and any violation.
  get done(): boolean {
    return this.detached === undefined && this.sim.done;
  }

  get violation(): SimViolation | undefined {
    if (this.detached !== undefined) return undefined;
    return this.sim.violation ?? this.runResult?.violation;
  }

  /** The run's result once it reached its end or a violation. */
  get result(): RunResult | undefined {
    return this.detached === undefined ? this.runResult : undefined;
  }

  get protocolServesClients(): boolean {
    return this.sim.definition.serves === 'kv';
  }

  /** Every trace event up to the position shown. */
  get events(): readonly TraceEvent[] {
    if (this.detached === undefined) return this.eventLog;
    return this.eventLog.slice(0, this.marks[this.detached.index]!.events);
  }

  /** Trace events of the step shown (what the last step forward did). */
  lastStepEvents(): readonly TraceEvent[] {
    const shown = this.step;
    const previous = shown > 0 ? this.marks[shown - 1]!.events : 0;
    return this.eventLog.slice(previous, this.marks[shown]!.events);
  }

  /** The visible step that produced trace event `index` (an index into `events`). */
  stepOfEvent(index: number): number {
    return this.firstMarkAfter(index, this.step);
  }

  /**
   * The visible step that invoked client `process`'s operation at `timeUs`, anywhere on the
   * timeline reached so far (also after the step shown); undefined if there is none.
   */
  stepOfInvocation(process: number, timeUs: number): number | undefined {
    const index = this.eventLog.findIndex(
      (event) => event.type === 'invoke' && event.process === process && event.t === timeUs,
    );
    return index < 0 ? undefined : this.firstMarkAfter(index, this.cursor);
  }

  /** The first mark, up to `last`, whose event count includes event `index`. */
  private firstMarkAfter(index: number, last: number): number {
    let low = 0;
    let high = last;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.marks[middle]!.events > index) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  /** Time of the next simulator event, or undefined at the end of the run. */
  nextEventUs(): number | undefined {
    this.attach();
    return this.sim.nextEventUs();
  }

  frame(dropsSinceUs = this.timeUs): Frame {
    if (this.detached !== undefined) {
      const { index, network } = this.detached;
      return {
        timeUs: this.timeUs,
        step: index,
        nodes: this.checkpoints.get(index)!,
        messages: network.messages(),
        drops: network.drops(dropsSinceUs),
        cut: network.cut(),
        storm: network.storm(),
        violation: undefined,
        done: false,
      };
    }
    return {
      timeUs: this.timeNowUs,
      step: this.cursor,
      nodes: this.nodeViews(),
      messages: this.network.messages(),
      drops: this.network.drops(dropsSinceUs),
      cut: this.network.cut(),
      storm: this.network.storm(),
      violation: this.violation,
      done: this.done,
    };
  }

  /**
   * The nodes' state changes only when the simulator runs an event or an input, so the play loop
   * asks every protocol to `inspect()` itself once per change, not once per animation frame.
   */
  private nodeViews(): readonly NodeView[] {
    const key = `${this.rebuilds}:${this.sim.stats.events}:${this.inputsApplied}`;
    if (this.nodesCache?.key !== key)
      this.nodesCache = {
        key,
        nodes: this.sim.nodes().map(({ id, status, incarnation, inspection }) => ({
          id,
          status,
          incarnation,
          inspection,
        })),
      };
    const mark = this.marks[this.cursor];
    if (mark?.steps === this.sim.stats.events && mark.inputs === this.inputsApplied)
      this.checkpoint(this.cursor, this.nodesCache.nodes);
    return this.nodesCache.nodes;
  }

  private checkpoint(index: number, nodes: readonly NodeView[]): void {
    const max = this.options.checkpointsMax ?? CHECKPOINTS_MAX;
    if (max <= 0) return;
    this.checkpoints.set(index, nodes);
    if (this.checkpoints.size > max) this.checkpoints.delete(this.checkpoints.keys().next().value!);
  }

  /** Shows step `index` without running the simulation, if it can; false when it cannot. */
  private showWithoutRebuild(index: number): boolean {
    if (index === this.cursor) {
      this.detached = undefined;
      return true;
    }
    if (index > this.cursor || !this.checkpoints.has(index)) return false;
    const network = new NetworkState();
    const events = this.marks[index]!.events;
    for (let i = 0; i < events; i++) network.apply(this.eventLog[i]!);
    this.detached = { index, network };
    return true;
  }

  /** Brings the simulation to the step shown, so it can run from there. */
  private attach(): void {
    if (this.detached === undefined) return;
    const { index } = this.detached;
    this.detached = undefined;
    this.replayTo(index);
  }

  /** Runs simulator events until one of them shows something. False at the end of the run. */
  stepForward(): boolean {
    if (this.detached !== undefined) {
      // The next step is a known one: no later than the simulation's own position.
      this.goToStep(this.detached.index + 1);
      return true;
    }
    if (this.cursor + 1 < this.marks.length) {
      this.replayToMark(this.marks[this.cursor + 1]!);
      this.cursor++;
      return true;
    }
    return this.runOneVisibleStep(Number.POSITIVE_INFINITY);
  }

  /** Goes back one visible step: the run is rebuilt from its seed and replayed to it. */
  stepBack(): boolean {
    if (this.step === 0) return false;
    this.goToStep(this.step - 1);
    return true;
  }

  /** Shows visible step `index` (a known one), rebuilding the run when it lies behind. */
  goToStep(index: number): void {
    assert(index >= 0 && index < this.marks.length, `no step ${index}`);
    if (this.showWithoutRebuild(index)) return;
    this.detached = undefined; // the simulation itself is still at `cursor`
    if (index < this.cursor) this.replayTo(index);
    while (this.cursor < index) if (!this.stepForward()) break;
  }

  /**
   * Plays to `timeUs`: every event up to then, then the clock moves there. Stops at the end.
   * `outOfTime`, asked before each visible step, slices the work: when it says so, the clock stops
   * at the last step run (the animation falls behind rather than dropping frames) and this
   * returns false.
   */
  advanceTo(timeUs: number, outOfTime?: () => boolean): boolean {
    this.attach();
    let budget = EVENTS_PER_CALL_MAX;
    while (budget-- > 0) {
      if (outOfTime?.() === true) {
        this.timeNowUs = Math.max(this.timeNowUs, this.marks[this.cursor]!.timeUs);
        return false;
      }
      const known = this.marks[this.cursor + 1];
      if (known !== undefined) {
        if (known.timeUs > timeUs) break;
        this.replayToMark(known);
        this.cursor++;
        continue;
      }
      const next = this.sim.nextEventUs();
      if (next === undefined || next > timeUs || !this.runOneVisibleStep(timeUs)) break;
    }
    if (this.sim.done || this.sim.nextEventUs() === undefined) {
      this.finishIfOver();
      return true;
    }
    const limitUs = Math.min(timeUs, this.config.durationUs);
    if (limitUs > this.timeNowUs) {
      this.sim.runUntil(limitUs);
      this.timeNowUs = limitUs;
    }
    return true;
  }

  /** Moves to `timeUs`, backwards (rebuild) or forwards (run). */
  seek(timeUs: number): void {
    this.detached = undefined; // the simulation itself is still at `cursor`
    if (timeUs < this.timeNowUs) {
      let index = this.cursor;
      while (index > 0 && this.marks[index]!.timeUs > timeUs) index--;
      this.replayTo(index);
    }
    this.advanceTo(timeUs);
  }

  /** Runs until the run ends or a check fails; returns whether it found a violation. */
  runToEnd(): boolean {
    let budget = EVENTS_PER_CALL_MAX;
    while (budget-- > 0 && this.stepForward());
    return this.violation !== undefined;
  }

  /** Applies a fault now. False when the run is over or it changed nothing. */
  inject(action: NemesisAction): boolean {
    this.attach();
    if (this.sim.done) return false;
    return this.record({ kind: 'inject', action }) === true;
  }

  /** Sends a client operation to `node`; its request id, or undefined when not possible. */
  submit(node: NodeId, op: KvOp): number | undefined {
    this.attach();
    if (this.sim.done || !this.protocolServesClients) return undefined;
    const id = this.record({ kind: 'submit', node, op });
    return typeof id === 'number' ? id : undefined;
  }

  private record(input: VizInput): boolean | number {
    this.forkHere();
    this.inputs.push({ steps: this.sim.stats.events, timeUs: this.timeNowUs, input });
    const outcome = this.applyInput(input);
    this.inputsApplied++;
    this.marks.push(this.currentMark());
    this.cursor = this.marks.length - 1;
    return outcome;
  }

  /** Forgets the future: inputs and marks after the position shown. */
  private forkHere(): void {
    this.inputs.length = this.inputsApplied;
    this.marks.length = this.cursor + 1;
    for (const index of [...this.checkpoints.keys()])
      if (index > this.cursor) this.checkpoints.delete(index);
  }

  private applyInput(input: VizInput): boolean | number {
    if (this.sim.nowUs < this.timeNowUs) this.sim.runUntil(this.timeNowUs);
    if (input.kind === 'inject') return this.sim.inject(input.action);
    return this.sim.submit(input.node, input.op);
  }

  /** Runs simulator events up to `limitUs` until one shows something; false when none did. */
  private runOneVisibleStep(limitUs: number): boolean {
    const eventsBefore = this.eventLog.length;
    const inputsBefore = this.inputsApplied;
    let budget = EVENTS_PER_CALL_MAX;
    while (budget-- > 0) {
      if (this.applyDueInputs()) break;
      const next = this.sim.nextEventUs();
      if (next === undefined || next > limitUs) break;
      this.sim.step();
      this.timeNowUs = Math.max(this.timeNowUs, this.sim.nowUs);
      if (this.eventLog.length > eventsBefore) break;
    }
    if (this.eventLog.length === eventsBefore && this.inputsApplied === inputsBefore) {
      this.finishIfOver();
      return false;
    }
    this.pushMark();
    return true;
  }

  /** Applies the next recorded input if it belongs at the current position (a replay forward). */
  private applyDueInputs(): boolean {
    const next = this.inputs[this.inputsApplied];
    if (next === undefined || next.steps !== this.sim.stats.events) return false;
    this.timeNowUs = Math.max(this.timeNowUs, next.timeUs);
    this.applyInput(next.input);
    this.inputsApplied++;
    return true;
  }

  private pushMark(): void {
    const mark = this.currentMark();
    this.cursor++;
    if (this.cursor >= this.marks.length) this.marks.push(mark);
  }

  private finishIfOver(): void {
    if (this.runResult !== undefined) return;
    if (this.sim.done || this.sim.nextEventUs() === undefined) {
      this.runResult = this.sim.finish();
      this.timeNowUs = Math.max(this.timeNowUs, this.sim.nowUs);
    }
  }

  private currentMark(): Mark {
    return {
      steps: this.sim.stats.events,
      inputs: this.inputsApplied,
      timeUs: this.timeNowUs,
      events: this.eventLog.length,
    };
  }

  private rebuild(): void {
    this.rebuilds++;
    this.eventLog = [];
    this.network = new NetworkState();
    this.runResult = undefined;
    this.inputsApplied = 0;
    this.timeNowUs = 0;
    this.cursor = 0;
    this.sim = new Simulation(this.config, {
      onEvent: (event) => {
        this.eventLog.push(event);
        this.network.apply(event);
      },
    });
  }

  /** Builds the run again and replays it to mark `index`. */
  private replayTo(index: number): void {
    const target = this.marks[index]!;
    this.rebuild();
    while (this.cursor < index) {
      const mark = this.marks[this.cursor + 1]!;
      this.replayToMark(mark);
      this.cursor++;
      // Keep the steps just before the target: the next steps back will not rebuild.
      if (this.cursor >= index - CHECKPOINT_WINDOW) this.nodeViews();
    }
    if (target.timeUs > this.timeNowUs) {
      this.sim.runUntil(target.timeUs);
      this.timeNowUs = target.timeUs;
    }
  }

  private replayToMark(mark: Mark): void {
    while (this.sim.stats.events < mark.steps || this.inputsApplied < mark.inputs) {
      if (this.applyDueInputs()) continue;
      assert(this.sim.step() || this.sim.stats.events >= mark.steps, 'replay diverged');
    }
    this.timeNowUs = Math.max(this.timeNowUs, this.sim.nowUs, mark.timeUs);
    if (this.sim.nowUs < mark.timeUs) this.sim.runUntil(mark.timeUs);
  }
}
