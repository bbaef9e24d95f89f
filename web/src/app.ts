import type { NodeId } from '../../src/core/ids.js';
import type { KvOp } from '../../src/core/kv.js';
import { listVariants, type NemesisAction, type TraceEvent } from '../../src/sim/index.js';
import { byId } from './dom.js';
import { parseEndpoints } from './live/endpoints.js';
import { LiveMode } from './live/live-mode.js';
import type { Frame } from './model/frame.js';
import { speedFromSlider, virtualAdvanceUs, VIRTUAL_US_PER_SECOND } from './model/timescale.js';
import { parseTraceFile, type TraceFile } from './model/trace-file.js';
import {
  DEFAULT_SETUP,
  NEMESIS_CHOICES,
  NODES_MAX,
  NODES_MIN,
  type VizSetup,
  vizConfig,
} from './model/viz-config.js';
import {
  type HistoryOperation,
  namedLogIndexes,
  type ViolationHistory,
  violationHistory,
} from './model/client-history.js';
import { VizModel } from './model/viz-model.js';
import { describeEvent, isQuiet } from './view/describe-event.js';
import { HistoryPanel } from './view/history-panel.js';
import { epochText, stateText } from './view/node-summary.js';
import { Stage } from './view/stage.js';
import { TourPanel } from './view/tour-panel.js';

const EVENTS_SHOWN_MAX = 40;
const PANELS_REFRESH_MS = 150;
/** Of a 16.7 ms frame, what the simulator may take; drawing needs the rest. */
const SIMULATION_SLICE_MS = 8;

/** The page: a model, a stage and the controls, wired together. */
export class App {
  private model: VizModel;
  private readonly stage: Stage;
  private readonly tours: TourPanel;
  private playing = false;
  private speed = 1;
  private lastFrameMs = 0;
  private selected: NodeId | undefined;
  private readonly sideA = new Set<NodeId>();
  private trace: TraceFile | undefined;
  /** Set while the page watches a running cluster instead of the simulator. */
  private live: LiveMode | undefined;
  private readonly historyPanel = new HistoryPanel((op) => this.goToInvocation(op));
  /** The violation's client history, kept while the person moves back over the run. */
  private history: ViolationHistory | undefined;

  constructor() {
    this.stage = new Stage(byId('stage', HTMLDivElement), (node, event) =>
      this.onNodeClick(node, event),
    );
    this.fillForms();
    this.tours = new TourPanel();
    this.model = new VizModel(vizConfig(DEFAULT_SETUP));
    this.bindControls();
    this.bindLive();
    this.render();
  }

  /** `?live=URL,URL` opens the page in live mode (synod cluster and synod viz --live link there). */
  private bindLive(): void {
    const input = byId('live-endpoints', HTMLInputElement);
    byId('live-form', HTMLFormElement).addEventListener('submit', (event) => {
      event.preventDefault();
      this.enterLive(input.value);
    });
    byId('live-leave', HTMLButtonElement).addEventListener('click', () => this.leaveLive());
    const fromUrl = new URLSearchParams(location.search).get('live');
    if (fromUrl !== null) {
      input.value = fromUrl;
      this.enterLive(fromUrl);
    }
  }

  private enterLive(text: string): void {
    const parsed = parseEndpoints(text);
    if (!parsed.ok) {
      const message = `live mode: ${parsed.error}`;
      return this.live === undefined ? this.flash(message) : this.live.notice(message);
    }
    this.live?.stop();
    this.pause();
    this.stage.clear();
    this.selected = undefined;
    document.body.classList.add('live');
    const url = new URL(location.href);
    url.searchParams.set('live', parsed.endpoints.join(','));
    history.replaceState(null, '', url);
    this.live = new LiveMode(this.stage, parsed.endpoints);
    this.live.start();
  }

  private leaveLive(): void {
    this.live?.stop();
    this.live = undefined;
    document.body.classList.remove('live');
    const url = new URL(location.href);
    url.searchParams.delete('live');
    history.replaceState(null, '', url);
    this.stage.clear();
    this.drawnPanels = '';
    this.render();
  }

  private fillForms(): void {
    const select = byId('variant', HTMLSelectElement);
    let group: HTMLOptGroupElement | undefined;
    for (const listing of listVariants()) {
      if (group?.label !== listing.protocol) {
        group = document.createElement('optgroup');
        group.label = listing.protocol;
        select.append(group);
      }
      const option = new Option(
        `${listing.protocol} / ${listing.variant}${listing.unsafe ? ' (unsafe)' : ''}`,
        `${listing.protocol}/${listing.variant}`,
      );
      option.title = listing.description;
      group.append(option);
    }
    select.value = `${DEFAULT_SETUP.protocol}/${DEFAULT_SETUP.variant}`;
    const nemesis = byId('nemesis', HTMLSelectElement);
    for (const [name, generators] of Object.entries(NEMESIS_CHOICES)) {
      const option = new Option(name, name);
      option.title = generators.join(', ') || 'only the faults you inject';
      nemesis.append(option);
    }
  }

  private readSetup(): VizSetup {
    const [protocol, variant] = byId('variant', HTMLSelectElement).value.split('/') as [
      string,
      string,
    ];
    const clamp = (value: number, min: number, max: number, fallback: number): number =>
      Number.isFinite(value) ? Math.min(max, Math.max(min, Math.round(value))) : fallback;
    return {
      protocol,
      variant,
      nodes: clamp(byId('nodes', HTMLInputElement).valueAsNumber, NODES_MIN, NODES_MAX, 5),
      seed: clamp(byId('seed', HTMLInputElement).valueAsNumber, 0, 2 ** 53 - 1, 1),
      latencyMs: clamp(byId('latency', HTMLInputElement).valueAsNumber, 1, 200, 10),
      clients: clamp(byId('clients', HTMLInputElement).valueAsNumber, 0, 5, 1),
      nemesis: NEMESIS_CHOICES[byId('nemesis', HTMLSelectElement).value] ?? [],
    };
  }

  private bindControls(): void {
    byId('setup', HTMLFormElement).addEventListener('submit', (event) => {
      event.preventDefault();
      this.trace = undefined;
      try {
        this.start(new VizModel(vizConfig(this.readSetup())));
      } catch (error) {
        this.flash(`cannot start: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    byId('play', HTMLButtonElement).addEventListener('click', () => this.togglePlay());
    byId('forward', HTMLButtonElement).addEventListener('click', () => this.stepForward());
    byId('back', HTMLButtonElement).addEventListener('click', () => this.stepBack());
    const speed = byId('speed', HTMLInputElement);
    speed.addEventListener('input', () => {
      this.speed = speedFromSlider(speed.valueAsNumber);
      byId('speed-label', HTMLSpanElement).textContent = `${this.speed}×`;
    });
    const scrubber = byId('scrubber', HTMLInputElement);
    scrubber.addEventListener('input', () => {
      this.seekTo((scrubber.valueAsNumber / 1000) * this.model.config.durationUs);
    });
    byId('crash', HTMLButtonElement).addEventListener('click', () => this.toggleCrash());
    byId('pause', HTMLButtonElement).addEventListener('click', () => this.togglePause());
    byId('partition', HTMLButtonElement).addEventListener('click', () => this.partition());
    byId('isolate', HTMLButtonElement).addEventListener('click', () => {
      if (this.selected !== undefined) this.inject({ type: 'isolate', nodes: [this.selected] });
    });
    byId('heal', HTMLButtonElement).addEventListener('click', () => this.inject({ type: 'heal' }));
    for (const id of ['loss', 'dup'])
      byId(id, HTMLInputElement).addEventListener('change', () => this.storm());
    byId('request', HTMLFormElement).addEventListener('submit', (event) => {
      event.preventDefault();
      this.sendRequest();
    });
    byId('trace-file', HTMLInputElement).addEventListener('change', () => void this.openTrace());
    document.addEventListener('keydown', (event) => this.onKey(event));
  }

  private onKey(event: KeyboardEvent): void {
    if (this.live !== undefined) return; // nothing to play or step in a real cluster
    const target = event.target;
    if (target instanceof HTMLInputElement && target.type !== 'range') return;
    if (target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement) return;
    // A focused button would also take the space as its own click (on keyup): only ours counts.
    if (target instanceof HTMLButtonElement && event.key === ' ') target.blur();
    if (event.key === ' ') this.togglePlay();
    else if (event.key === 'ArrowRight') this.stepForward();
    else if (event.key === 'ArrowLeft') this.stepBack();
    else return;
    event.preventDefault();
  }

  private start(model: VizModel): void {
    this.pause();
    this.model = model;
    this.modelGeneration++;
    this.stage.clear();
    this.selected = undefined;
    this.sideA.clear();
    this.history = undefined;
    byId('loss', HTMLInputElement).value = '0';
    byId('dup', HTMLInputElement).value = '0';
    this.render();
  }

  private togglePlay(): void {
    if (this.playing) this.pause();
    else this.play();
    this.render();
  }

  private play(): void {
    if (this.model.done) return;
    this.playing = true;
    this.lastFrameMs = performance.now();
    byId('play', HTMLButtonElement).textContent = '‖ pause';
    requestAnimationFrame((now) => this.animate(now));
  }

  private pause(): void {
    this.playing = false;
    byId('play', HTMLButtonElement).textContent = '▶ play';
  }

  private animate(nowMs: number): void {
    if (!this.playing) return;
    const elapsedMs = nowMs - this.lastFrameMs;
    this.lastFrameMs = nowMs;
    // The simulation gets a slice of the frame: a busy run slows down instead of stuttering.
    const sliceEndMs = performance.now() + SIMULATION_SLICE_MS;
    this.model.advanceTo(
      this.model.timeUs + virtualAdvanceUs(elapsedMs, this.speed),
      () => performance.now() > sliceEndMs,
    );
    if (this.model.done) this.pause();
    this.render();
    if (this.playing) requestAnimationFrame((now) => this.animate(now));
  }

  private stepForward(): void {
    this.pause();
    if (this.navigationScheduled) return; // a step back is on its way; forward after it
    this.model.stepForward();
    this.render();
  }

  /**
   * Going back rebuilds the run from its seed, so a held ← key or a dragged scrubber is coalesced:
   * one rebuild per animation frame, to wherever the presses added up to.
   */
  private stepBack(): void {
    this.pause();
    this.pendingBackSteps++;
    this.scheduleNavigation();
  }

  private seekTo(timeUs: number): void {
    this.pause();
    this.pendingSeekUs = timeUs;
    this.scheduleNavigation();
  }

  private scheduleNavigation(): void {
    if (this.navigationScheduled) return;
    this.navigationScheduled = true;
    requestAnimationFrame(() => {
      this.navigationScheduled = false;
      if (this.pendingSeekUs !== undefined) this.model.seek(this.pendingSeekUs);
      if (this.pendingBackSteps > 0)
        this.model.goToStep(Math.max(0, this.model.step - this.pendingBackSteps));
      this.pendingSeekUs = undefined;
      this.pendingBackSteps = 0;
      this.render();
    });
  }

  private pendingBackSteps = 0;
  private pendingSeekUs: number | undefined;
  private navigationScheduled = false;

  private onNodeClick(node: NodeId, event: MouseEvent): void {
    if (this.live !== undefined) return this.live.select(node);
    if (event.shiftKey) {
      if (this.sideA.has(node)) this.sideA.delete(node);
      else this.sideA.add(node);
    } else {
      this.selected = node;
    }
    this.render();
  }

  private inject(action: NemesisAction): void {
    if (!this.model.inject(action)) this.flash(`${action.type}: nothing changed`);
    this.render();
  }

  private toggleCrash(): void {
    if (this.selected === undefined) return this.flash('select a node first');
    const status = this.model.frame().nodes[this.selected]?.status;
    this.inject({ type: status === 'crashed' ? 'restart' : 'crash', nodes: [this.selected] });
  }

  private togglePause(): void {
    if (this.selected === undefined) return this.flash('select a node first');
    const status = this.model.frame().nodes[this.selected]?.status;
    this.inject({ type: status === 'paused' ? 'resume' : 'pause', nodes: [this.selected] });
  }

  private partition(): void {
    const all = this.model.frame().nodes.map((node) => node.id);
    const sideA = all.filter((id) => this.sideA.has(id));
    const sideB = all.filter((id) => !this.sideA.has(id));
    if (sideA.length === 0 || sideB.length === 0)
      return this.flash('tick some nodes for side A (or shift-click them), not all');
    this.inject({ type: 'partition', sides: [sideA, sideB] });
  }

  private storm(): void {
    const loss = byId('loss', HTMLInputElement).valueAsNumber / 100;
    const duplication = byId('dup', HTMLInputElement).valueAsNumber / 100;
    if (loss === 0 && duplication === 0) this.inject({ type: 'calm' });
    else
      this.inject({
        type: 'storm',
        lossProbability: loss,
        duplicateProbability: duplication,
        reorderProbability: 0,
      });
  }

  private sendRequest(): void {
    if (this.selected === undefined) return this.flash('select a node first');
    const f = byId('op', HTMLSelectElement).value;
    const key = byId('key', HTMLInputElement).value || 'x';
    const value = byId('value', HTMLInputElement).value;
    const op: KvOp =
      f === 'put'
        ? { f: 'put', key, value }
        : f === 'inc'
          ? { f: 'inc', key, delta: 1 }
          : f === 'delete'
            ? { f: 'delete', key }
            : { f: 'get', key };
    const id = this.model.submit(this.selected, op);
    if (id === undefined) this.flash('this protocol serves no client requests, or the run is over');
    this.render();
  }

  private async openTrace(): Promise<void> {
    const input = byId('trace-file', HTMLInputElement);
    const file = input.files?.[0];
    if (file === undefined) return;
    try {
      const trace = parseTraceFile(await file.text());
      this.trace = trace;
      this.showConfigInForm(trace);
      this.start(new VizModel(trace.config));
      this.flash(
        `trace ${file.name}: ${trace.config.protocol}/${trace.config.variant}, seed ${trace.config.seed}`,
      );
    } catch (error) {
      this.flash(
        `cannot open ${file.name}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    input.value = '';
    this.render();
  }

  /** The form shows what runs; "New run" then starts a fresh run like it (without the trace's faults). */
  private showConfigInForm({ config }: TraceFile): void {
    byId('variant', HTMLSelectElement).value = `${config.protocol}/${config.variant}`;
    byId('nodes', HTMLInputElement).value = String(config.nodes);
    byId('seed', HTMLInputElement).value = String(config.seed);
  }

  /** Runs a trace's replay to its violation (or its end). */
  jumpToViolation(): void {
    this.pause();
    this.model.runToEnd();
    this.render();
  }

  /** Moves the timeline to the step that invoked `op` (a client history bar was clicked). */
  private goToInvocation(op: HistoryOperation): void {
    this.pause();
    const step = this.model.stepOfInvocation(op.process, op.invokeUs);
    if (step === undefined)
      return this.flash(`no invocation of ${op.text} at t = ${op.invokeUs} µs`);
    this.model.goToStep(step);
    this.render();
  }

  private flashText = '';

  private flash(text: string): void {
    this.flashText = text;
    this.render();
  }

  private render(): void {
    if (this.live !== undefined) return; // the live mode draws the stage itself
    const frame = this.model.frame(this.model.timeUs - this.dropFadeUs());
    const result = this.model.result;
    if (this.history === undefined && result !== undefined && frame.violation !== undefined)
      this.history = violationHistory(result.history, frame.violation);
    this.historyPanel.show(this.history);
    this.stage.render(frame, {
      selected: this.selected,
      sideA: this.sideA,
      blamed: new Set(frame.violation?.nodes ?? []),
      blamedLog: namedLogIndexes(frame.violation),
      dropFadeUs: this.dropFadeUs(),
    });
    this.renderTransport(frame);
    this.renderSummary(frame);
    // The panels change only with the run's state, not with the animation's clock.
    const panelsKey = [
      this.modelGeneration,
      this.model.rebuilds,
      frame.step,
      this.model.events.length,
      this.selected,
      [...this.sideA].join(','),
      this.flashText,
    ].join('|');
    if (panelsKey === this.drawnPanels) return;
    // While playing, text panels refresh a few times a second: nobody reads faster, and the
    // animation keeps its frame rate.
    const nowMs = performance.now();
    if (this.playing && !frame.done && nowMs - this.panelsDrawnAtMs < PANELS_REFRESH_MS) return;
    this.panelsDrawnAtMs = nowMs;
    this.drawnPanels = panelsKey;
    this.renderBanner(frame);
    this.renderNodePanel(frame);
    this.renderSides(frame);
    this.renderEvents();
  }

  private drawnPanels = '';
  private panelsDrawnAtMs = 0;
  private modelGeneration = 0;

  /** Drops stay visible for about a second of watching, whatever the speed. */
  private dropFadeUs(): number {
    return Math.max(5_000, VIRTUAL_US_PER_SECOND * Math.max(this.speed, 0.3));
  }

  private renderTransport(frame: Frame): void {
    setText(byId('clock', HTMLSpanElement), `t = ${(frame.timeUs / 1000).toFixed(3)} ms`);
    setText(byId('step-label', HTMLSpanElement), `step ${frame.step}`);
    const scrubber = byId('scrubber', HTMLInputElement);
    const position = String(Math.round((frame.timeUs / this.model.config.durationUs) * 1000));
    if (scrubber.value !== position) scrubber.value = position;
    setFlag(byId('back', HTMLButtonElement), 'disabled', frame.step === 0);
    setFlag(byId('forward', HTMLButtonElement), 'disabled', frame.done);
    setFlag(byId('client-box', HTMLElement), 'hidden', !this.model.protocolServesClients);
  }

  private renderBanner(frame: Frame): void {
    const banner = byId('banner', HTMLDivElement);
    banner.replaceChildren();
    banner.className = 'banner';
    const config = this.model.config;
    const lines: string[] = [];
    if (this.trace !== undefined) {
      const recorded = this.trace.violation;
      lines.push(
        `Replaying a trace: ${config.protocol}/${config.variant}, seed ${config.seed}, ${config.nodes} nodes.` +
          (recorded === undefined
            ? ' It recorded no violation.'
            : ` It recorded a violation at t = ${(recorded.t / 1000).toFixed(3)} ms.`),
      );
    }
    if (frame.violation !== undefined) {
      banner.classList.add('violation');
      banner.dataset['testid'] = 'violation';
      // The checker's explanation is long: the client history panel shows it with the operations.
      const message =
        this.history === undefined
          ? frame.violation.message
          : 'the client history is not linearizable: an operation cannot be linearized (highlighted in the client history below, with the checker’s explanation).';
      lines.push(
        `Violation${frame.violation.invariant === undefined ? '' : ` of ${frame.violation.invariant}`} at t = ${(frame.violation.atUs / 1000).toFixed(3)} ms: ${message}`,
      );
      const recorded = this.trace?.violation;
      if (recorded !== undefined && recorded.message !== frame.violation.message)
        lines.push(
          `The trace recorded a different one (another Synod version?): ${recorded.message}`,
        );
    } else if (this.model.result !== undefined) {
      const lin = this.model.result.linearizability;
      lines.push(
        `Run over: every check passed${lin === undefined ? '' : `, history ${lin.verdict}`}.`,
      );
    }
    if (this.trace !== undefined && this.model.result !== undefined) {
      const replayed = this.model.events.length;
      lines.push(
        replayed === this.trace.lines
          ? `The replay produced the trace's ${replayed} events.`
          : `The replay produced ${replayed} events, the trace has ${this.trace.lines}: it came from another version of Synod, or the run was changed by hand.`,
      );
    }
    if (this.flashText !== '') lines.push(this.flashText);
    this.flashText = '';
    for (const line of lines) {
      const p = document.createElement('p');
      p.textContent = line;
      banner.append(p);
    }
    if (this.trace?.violation !== undefined && frame.violation === undefined) {
      const jump = document.createElement('button');
      jump.id = 'jump-violation';
      jump.textContent = 'run to the violation';
      jump.addEventListener('click', () => this.jumpToViolation());
      banner.append(jump);
    }
    banner.hidden = banner.childElementCount === 0;
  }

  private renderSummary(frame: Frame): void {
    const leaders = frame.nodes.filter(
      (node) => node.status !== 'crashed' && node.inspection?.leader === node.id,
    );
    const summary = byId('leader-summary', HTMLDivElement);
    const leaderIds = leaders.map((node) => node.id).join(',');
    if (summary.dataset['leaders'] !== leaderIds) summary.dataset['leaders'] = leaderIds;
    const leaderText =
      leaders.length === 0
        ? 'no leader'
        : leaders.map((node) => `leader n${node.id} (${epochText(node.inspection)})`).join(', ');
    const storm =
      frame.storm === undefined
        ? ''
        : ` · storm: loss ${Math.round(frame.storm.loss * 100)}%, duplication ${Math.round(frame.storm.duplication * 100)}%`;
    setText(
      summary,
      `${this.model.config.protocol}/${this.model.config.variant}, seed ${this.model.config.seed} · ${leaderText}` +
        ` · ${frame.messages.length} messages in flight · ${frame.cut.length === 0 ? 'network whole' : `${frame.cut.length} directed links cut`}${storm}`,
    );
  }

  private renderNodePanel(frame: Frame): void {
    const node = this.selected === undefined ? undefined : frame.nodes[this.selected];
    byId('selected-name', HTMLSpanElement).textContent =
      node === undefined ? '—' : `n${node.id} (${node.status})`;
    byId('node-state', HTMLPreElement).textContent =
      node === undefined ? '' : stateText(node.inspection);
    byId('crash', HTMLButtonElement).textContent = node?.status === 'crashed' ? 'restart' : 'crash';
    byId('pause', HTMLButtonElement).textContent = node?.status === 'paused' ? 'resume' : 'pause';
  }

  private renderSides(frame: Frame): void {
    const sides = byId('sides', HTMLDivElement);
    if (sides.childElementCount !== frame.nodes.length + 1) {
      sides.replaceChildren(document.createTextNode('side A: '));
      for (const node of frame.nodes) {
        const label = document.createElement('label');
        const box = document.createElement('input');
        box.type = 'checkbox';
        box.dataset['side'] = String(node.id);
        box.addEventListener('change', () => {
          if (box.checked) this.sideA.add(node.id);
          else this.sideA.delete(node.id);
          this.render();
        });
        label.append(box, ` n${node.id}`);
        sides.append(label);
      }
    }
    for (const box of sides.querySelectorAll('input'))
      box.checked = this.sideA.has(Number(box.dataset['side']));
  }

  private renderEvents(): void {
    const list = byId('events', HTMLOListElement);
    list.replaceChildren();
    const events = this.model.events;
    const current = new Set(this.model.lastStepEvents());
    const shown: { event: TraceEvent; index: number }[] = [];
    for (let i = events.length - 1; i >= 0 && shown.length < EVENTS_SHOWN_MAX; i--) {
      const event = events[i]!;
      if (isQuiet(event) && !current.has(event)) continue;
      shown.push({ event, index: i });
    }
    for (const { event, index } of shown) {
      const item = document.createElement('li');
      item.title = 'go to this step';
      item.addEventListener('click', () => {
        this.pause();
        this.model.goToStep(this.model.stepOfEvent(index));
        this.render();
      });
      item.textContent = `${(event.t / 1000).toFixed(3)}  ${describeEvent(event)}`;
      if (current.has(event)) item.classList.add('current');
      if (event.type === 'violation') item.classList.add('violation');
      list.append(item);
    }
  }
}

/** Writes only what changed: the play loop calls these every frame, and a write costs a style pass. */
function setText(element: HTMLElement, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

function setFlag(element: HTMLElement, flag: 'disabled' | 'hidden', value: boolean): void {
  const target = element as HTMLElement & { disabled?: boolean };
  if (target[flag] !== value) target[flag] = value;
}
