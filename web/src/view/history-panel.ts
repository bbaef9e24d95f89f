import { byId } from '../dom.js';
import type { HistoryOperation, ViolationHistory } from '../model/client-history.js';

const MARK_TEXT: Readonly<Record<string, string>> = {
  stuck: 'cannot be linearized',
  pending: 'pending with it, cannot go first either',
  source: 'wrote the value the stuck read returned',
  prefix: 'in the longest linearizable prefix',
};

/**
 * The client history around a linearizability violation: one lane per client process, each
 * operation a bar from its invocation to its completion, marked with what the checker says of it,
 * and the checker's explanation. Clicking an operation moves the timeline to its invocation.
 */
export class HistoryPanel {
  private readonly section = byId('history', HTMLElement);
  private shown: ViolationHistory | undefined;

  constructor(private readonly onPick: (op: HistoryOperation) => void) {}

  show(history: ViolationHistory | undefined): void {
    if (history === this.shown) return;
    this.shown = history;
    this.section.hidden = history === undefined;
    if (history === undefined) return;
    const where = history.key === undefined ? '' : ` on key ${JSON.stringify(history.key)}`;
    byId('history-title', HTMLElement).textContent =
      `Client history${where}: not linearizable (t ${fmt(history.fromUs)}–${fmt(history.toUs)} ms)`;
    byId('history-explanation', HTMLPreElement).textContent = history.explanation;
    const legend = byId('history-legend', HTMLElement);
    legend.replaceChildren(
      ...Object.entries(MARK_TEXT).map(([mark, text]) => {
        const item = document.createElement('span');
        item.className = `op-key mark-${mark}`;
        item.textContent = text;
        return item;
      }),
    );
    const lanes = byId('history-lanes', HTMLElement);
    lanes.replaceChildren();
    const span = history.toUs - history.fromUs || 1;
    const percent = (us: number): number =>
      Math.min(100, Math.max(0, ((us - history.fromUs) / span) * 100));
    for (const process of history.processes) {
      const lane = document.createElement('div');
      lane.className = 'lane';
      const name = document.createElement('span');
      name.className = 'lane-name';
      name.textContent = `p${process}`;
      const track = document.createElement('div');
      track.className = 'lane-track';
      for (const op of history.operations) {
        if (op.process !== process) continue;
        const bar = document.createElement('button');
        bar.className = `op ${op.status}${op.mark === undefined ? '' : ` mark-${op.mark}`}`;
        if (op.mark !== undefined) bar.dataset['mark'] = op.mark;
        bar.dataset['invokeIndex'] = String(op.invokeIndex);
        const left = percent(op.invokeUs);
        const right = percent(op.completeUs ?? history.toUs);
        bar.style.left = `${left}%`;
        bar.style.width = `max(4px, ${right - left}%)`;
        bar.textContent = op.text;
        bar.title =
          `process ${op.process}  ${op.text}  (t ${fmt(op.invokeUs)}..${op.completeUs === undefined ? 'never' : fmt(op.completeUs)} ms)` +
          (op.mark === undefined ? '' : `: ${MARK_TEXT[op.mark]}`) +
          '. Click: go to its invocation.';
        bar.addEventListener('click', () => {
          for (const other of lanes.querySelectorAll('.op.current'))
            other.classList.remove('current');
          bar.classList.add('current');
          this.onPick(op);
        });
        track.append(bar);
      }
      lane.append(name, track);
      lanes.append(lane);
    }
  }
}

function fmt(us: number): string {
  return (us / 1000).toFixed(3);
}
