import type { NodeId } from '../../../src/core/ids.js';
import { byId } from '../dom.js';
import type { Stage } from '../view/stage.js';
import { LIVE_STATE_PATH, parseLiveState } from './live-state.js';
import { liveNodeText, liveSummaryText } from './live-text.js';
import { type LiveReading, type LiveView, appendReading, liveView } from './live-view.js';
import { RateLayer } from './rate-layer.js';

/** Each member is asked this often; rates are taken over the last few answers. */
export const LIVE_POLL_MS = 500;
/** A member that has not answered in this long counts as down. */
const LIVE_TIMEOUT_MS = 1500;
/** Rates span the answers of about this long: steady numbers that still follow a change. */
const RATE_WINDOW_MS = 2500;

/**
 * The page connected to a running cluster: polls every endpoint's live state, draws it with the
 * simulator's stage, and the message rates over it. Nothing here can change the cluster.
 */
export class LiveMode {
  private readonly histories = new Map<string, LiveReading[]>();
  private readonly inFlight = new Set<string>();
  private readonly rates: RateLayer;
  private poller: ReturnType<typeof setInterval> | undefined;
  private stopped = false;
  private selected: NodeId | undefined;
  private view: LiveView;

  constructor(
    private readonly stage: Stage,
    readonly endpoints: readonly string[],
  ) {
    this.rates = new RateLayer(stage.svg);
    this.view = liveView(endpoints, this.histories);
  }

  start(): void {
    this.pollAll();
    this.poller = setInterval(() => this.pollAll(), LIVE_POLL_MS);
    this.render();
    requestAnimationFrame((now) => this.animate(now));
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.poller);
    this.rates.remove();
  }

  /** A line for the banner until the next poll redraws it (a typo in the endpoints field). */
  notice(text: string): void {
    this.noticeText = text;
    this.render();
  }

  private noticeText = '';

  select(node: NodeId): void {
    this.selected = node;
    this.render();
  }

  private pollAll(): void {
    for (const endpoint of this.endpoints) {
      if (this.inFlight.has(endpoint)) continue;
      this.inFlight.add(endpoint);
      void this.poll(endpoint).then((reading) => {
        this.inFlight.delete(endpoint);
        if (this.stopped) return;
        this.histories.set(
          endpoint,
          appendReading(this.histories.get(endpoint) ?? [], reading, RATE_WINDOW_MS),
        );
        this.render();
      });
    }
  }

  private async poll(endpoint: string): Promise<LiveReading> {
    const failed = (error: string): LiveReading => ({
      endpoint,
      receivedAtMs: Date.now(),
      state: undefined,
      error,
    });
    let response: Response;
    try {
      response = await fetch(`${endpoint}${LIVE_STATE_PATH}`, {
        signal: AbortSignal.timeout(LIVE_TIMEOUT_MS),
        cache: 'no-store',
      });
    } catch (error) {
      return failed(
        error instanceof DOMException && error.name === 'TimeoutError'
          ? `no answer in ${LIVE_TIMEOUT_MS} ms`
          : 'connection failed (down, wrong port, or not a Synod member)',
      );
    }
    if (!response.ok)
      return failed(`HTTP ${response.status} (is this a Synod member's metrics URL?)`);
    let json: unknown;
    try {
      json = await response.json();
    } catch {
      return failed('the answer is not JSON (is this a Synod member?)');
    }
    const parsed = parseLiveState(json);
    if (!parsed.ok) return failed(parsed.error);
    return { endpoint, receivedAtMs: Date.now(), state: parsed.state, error: undefined };
  }

  private render(): void {
    if (this.stopped) return;
    this.view = liveView(this.endpoints, this.histories);
    this.stage.render(this.view.frame, {
      selected: this.selected,
      sideA: new Set(),
      blamed: new Set(),
      dropFadeUs: 0,
    });
    this.rates.update(this.view.nodes, this.view.links, this.view.silent.length);
    const summary = byId('leader-summary', HTMLDivElement);
    summary.dataset['leaders'] = this.view.leaders
      .map((nodeId) => this.view.nodes[nodeId]?.name)
      .join(',');
    summary.dataset['terms'] = this.view.leaders
      .map((nodeId) => this.view.nodes[nodeId]?.state?.term)
      .join(',');
    summary.textContent = liveSummaryText(this.view);
    const banner = byId('banner', HTMLDivElement);
    banner.className = 'banner';
    banner.replaceChildren(
      ...[
        `Live: ${this.endpoints.join(', ')}${this.view.clusterId === undefined ? '' : ` · cluster ${this.view.clusterId}`} · asked every ${LIVE_POLL_MS} ms · pulses show each link's rate, not single messages`,
        ...this.view.problems,
        ...(this.noticeText === '' ? [] : [this.noticeText]),
      ].map((line) => {
        const p = document.createElement('p');
        p.textContent = line;
        return p;
      }),
    );
    banner.hidden = false;
    const node = this.selected === undefined ? undefined : this.view.nodes[this.selected];
    byId('selected-name', HTMLSpanElement).textContent =
      node === undefined ? '—' : `${node.name} (${node.status})`;
    byId('node-state', HTMLPreElement).textContent =
      node === undefined ? '' : liveNodeText(node, Date.now());
  }

  private animate(nowMs: number): void {
    if (this.stopped) return;
    this.rates.animate(nowMs / 1000);
    requestAnimationFrame((now) => this.animate(now));
  }
}
