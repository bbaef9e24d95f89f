import { TOURS, findTour } from '../../../src/sim/index.js';
import { byId } from '../dom.js';
import { TourPlayer } from '../model/tour-player.js';

/** The guided tours: a list to pick from, and a panel with the step's title and lines. */
export class TourPanel {
  private player: TourPlayer | undefined;

  constructor() {
    const select = byId('tour-select', HTMLSelectElement);
    for (const tour of TOURS)
      select.append(new Option(`${tour.protocol}: ${tour.title}`, tour.name));
    select.addEventListener('change', () => this.open(select.value));
    byId('tour-next', HTMLButtonElement).addEventListener('click', () => this.step(1));
    byId('tour-back', HTMLButtonElement).addEventListener('click', () => this.step(-1));
    byId('tour-close', HTMLButtonElement).addEventListener('click', () => this.open(''));
  }

  private open(name: string): void {
    this.player = name === '' ? undefined : new TourPlayer(findTour(name));
    byId('tour-select', HTMLSelectElement).value = name;
    this.render();
  }

  private step(direction: 1 | -1): void {
    if (direction === 1) this.player?.next();
    else this.player?.back();
    this.render();
  }

  private render(): void {
    const box = byId('tour', HTMLElement);
    const player = this.player;
    box.hidden = player === undefined;
    if (player === undefined) return;
    byId('tour-title', HTMLHeadingElement).textContent = player.tour.title;
    byId('tour-description', HTMLParagraphElement).textContent = player.tour.description;
    byId('tour-progress', HTMLSpanElement).textContent =
      `${player.played.length} / ${player.tour.stepCount}${player.atEnd ? ' — the end' : ''}`;
    box.dataset['done'] = player.atEnd ? 'true' : 'false';
    byId('tour-back', HTMLButtonElement).disabled = player.played.length === 0;
    byId('tour-next', HTMLButtonElement).disabled = player.atEnd;
    const step = player.current;
    byId('tour-step-title', HTMLHeadingElement).textContent =
      step === undefined
        ? 'Press Next to play the first step.'
        : `${step.index + 1}. ${step.title}`;
    const lines = byId('tour-lines', HTMLUListElement);
    lines.replaceChildren();
    for (const line of step?.lines ?? []) {
      const item = document.createElement('li');
      item.textContent = line;
      lines.append(item);
    }
    for (const problem of step?.problems ?? []) {
      const item = document.createElement('li');
      item.className = 'problem';
      item.textContent = `unexpected: ${problem}`;
      lines.append(item);
    }
  }
}
