import type { NodeId } from '../../../src/core/ids.js';
import {
  type DropView,
  type Frame,
  type NodeView,
  dropProgress,
  messageProgress,
} from '../model/frame.js';
import { LABEL_DX, LabelPlacer, type Point, pointAlong } from '../model/message-layout.js';
import { epochColor, messageColor, roleColor } from './colors.js';
import { epochText, logSummary, stateHighlights } from './node-summary.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const WIDTH = 1000;
const HEIGHT = 700;
const LOG_CELLS_MAX = 14;
const LOG_CELLS_MAX_CROWDED = 8;

export interface StageDecorations {
  readonly selected: NodeId | undefined;
  readonly sideA: ReadonlySet<NodeId>;
  /** Nodes the violation names. */
  readonly blamed: ReadonlySet<NodeId>;
  /** Log indexes the violation names (on the blamed nodes): their cells are ringed. */
  readonly blamedLog?: ReadonlySet<number>;
  /** Drops older than this fade out completely. */
  readonly dropFadeUs: number;
}

function el<K extends keyof SVGElementTagNameMap>(
  name: K,
  attributes: Record<string, string | number> = {},
  text?: string,
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

const MESSAGE_FONT = '11px system-ui, sans-serif';
const DROP_FONT = 'bold 20px system-ui, sans-serif';
const LABEL_COLOR = '#243b53';
const DROP_COLOR = '#e12d39';

/**
 * The cluster drawn as a ring of nodes with messages travelling between them. Three layers: an SVG
 * of links, a canvas of messages and drops, an SVG of nodes on top. Hundreds of messages move on
 * every frame, so they are painted on the canvas (no DOM element, no layout, nothing allocated per
 * message); nodes and links are SVG, redrawn only when what they show changes, and clickable.
 */
export class Stage {
  readonly svg: SVGSVGElement;
  private readonly backSvg: SVGSVGElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly context: CanvasRenderingContext2D;
  private readonly linkLayer: SVGGElement;
  private readonly nodeLayer: SVGGElement;
  /** What was last drawn, so a frame redraws only what changed (messages move every frame). */
  private drawnLinks = '';
  private drawnNodes: readonly NodeView[] | undefined;
  private drawnDecorations = '';
  private readonly nodeKeys: string[] = [];
  private readonly labels = new LabelPlacer(WIDTH, HEIGHT);
  private readonly labelWidths = new Map<string, number>();
  private readonly colors = new Map<string, string>();
  private readonly dropCaptions = new WeakMap<DropView, string>();
  private readonly point = { x: 0, y: 0 };
  private readonly hoverAt = { x: 0, y: 0 };
  /** The canvas's backing size and its mapping from stage units, kept by a ResizeObserver. */
  private scale = 1;
  private offsetX = 0;
  private offsetY = 0;
  private pixelRatio = 1;
  private lastFrame:
    { frame: Frame; positions: readonly Point[]; radius: number; fadeUs: number } | undefined;
  private drawnCounts = '';
  /** The pointer in stage units: the message under it shows its label even where crowded. */
  private pointer: Point | undefined;

  constructor(
    container: HTMLElement,
    private readonly onNodeClick: (node: NodeId, event: MouseEvent) => void,
  ) {
    const layers = document.createElement('div');
    layers.className = 'stage-layers';
    this.backSvg = el('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: 'stage-back' });
    this.backSvg.setAttribute('aria-hidden', 'true');
    this.svg = el('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', class: 'stage-front' });
    this.svg.setAttribute('aria-label', 'the cluster');
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'stage-messages';
    const context = this.canvas.getContext('2d');
    if (context === null) throw new Error('this browser has no 2D canvas');
    this.context = context;
    this.linkLayer = el('g');
    this.nodeLayer = el('g');
    this.backSvg.append(this.linkLayer);
    this.svg.append(this.nodeLayer);
    // One listener for every node, so redrawing a node adds none.
    this.nodeLayer.addEventListener('click', (event) => {
      const group = (event.target as Element | null)?.closest?.('g.node');
      const id = group?.getAttribute('data-node');
      if (id !== null && id !== undefined) this.onNodeClick(Number(id), event);
    });
    layers.append(this.backSvg, this.canvas, this.svg);
    container.append(layers);
    layers.addEventListener('mousemove', (event) => {
      const box = layers.getBoundingClientRect();
      this.pointer = {
        x: (event.clientX - box.left - this.offsetX) / this.scale,
        y: (event.clientY - box.top - this.offsetY) / this.scale,
      };
      this.repaint();
    });
    layers.addEventListener('mouseleave', () => {
      this.pointer = undefined;
      this.repaint();
    });
    // Layout is read here, when the size changes, never in the animation loop.
    new ResizeObserver(() => this.resize(layers)).observe(layers);
    this.resize(layers);
  }

  /** Forgets what was drawn: a new run reuses message ids for other messages. */
  clear(): void {
    this.drawnLinks = '';
    this.drawnNodes = undefined;
    this.drawnDecorations = '';
    this.nodeKeys.length = 0;
    this.nodeLayer.replaceChildren();
    this.lastFrame = undefined;
    this.context.setTransform(1, 0, 0, 1, 0, 0);
    this.context.clearRect(0, 0, this.canvas.width, this.canvas.height);
  }

  render(frame: Frame, decorations: StageDecorations): void {
    const positions = ringPositions(frame.nodes.length);
    const radius = nodeRadius(frame.nodes.length);
    this.renderLinks(frame, positions);
    const decorationKey = `${decorations.selected}|${[...decorations.sideA].join(',')}|${[...decorations.blamed].join(',')}|${[...(decorations.blamedLog ?? [])].join(',')}`;
    if (this.drawnNodes !== frame.nodes || this.drawnDecorations !== decorationKey) {
      this.renderNodes(frame, positions, radius, decorations);
      this.drawnNodes = frame.nodes;
      this.drawnDecorations = decorationKey;
    }
    this.lastFrame = { frame, positions, radius, fadeUs: decorations.dropFadeUs };
    this.paintMessages(frame, positions, radius, decorations.dropFadeUs);
  }

  private resize(layers: HTMLElement): void {
    const width = layers.clientWidth;
    const height = layers.clientHeight;
    this.pixelRatio = window.devicePixelRatio || 1;
    this.canvas.width = Math.max(1, Math.round(width * this.pixelRatio));
    this.canvas.height = Math.max(1, Math.round(height * this.pixelRatio));
    // The SVGs scale their viewBox to fit, centred (preserveAspectRatio xMidYMid meet): so does the canvas.
    this.scale = Math.min(width / WIDTH, height / HEIGHT) || 1;
    this.offsetX = (width - WIDTH * this.scale) / 2;
    this.offsetY = (height - HEIGHT * this.scale) / 2;
    this.repaint();
  }

  /** Paints the last frame again: the canvas was resized, or the pointer moved while paused. */
  private repaint(): void {
    const last = this.lastFrame;
    if (last !== undefined)
      this.paintMessages(last.frame, last.positions, last.radius, last.fadeUs);
  }

  private renderLinks(frame: Frame, positions: readonly Point[]): void {
    const key = `${positions.length}:${JSON.stringify(frame.cut)}`;
    if (key === this.drawnLinks) return;
    this.drawnLinks = key;
    this.linkLayer.replaceChildren();
    const cut = new Set(frame.cut.map(([from, to]) => `${from}-${to}`));
    for (let a = 0; a < positions.length; a++)
      for (let b = a + 1; b < positions.length; b++) {
        const broken = cut.has(`${a}-${b}`) || cut.has(`${b}-${a}`);
        const p = positions[a]!;
        const q = positions[b]!;
        this.linkLayer.append(
          el('line', {
            x1: p.x,
            y1: p.y,
            x2: q.x,
            y2: q.y,
            class: broken ? 'link cut' : 'link',
            'data-cut': broken ? 'true' : 'false',
          }),
        );
      }
  }

  /** Each node's group is rebuilt only when what it shows changed, not on every simulator event. */
  private renderNodes(
    frame: Frame,
    positions: readonly Point[],
    radius: number,
    decorations: StageDecorations,
  ): void {
    const groups = this.nodeLayer.children;
    while (groups.length > frame.nodes.length) groups[groups.length - 1]!.remove();
    this.nodeKeys.length = Math.min(this.nodeKeys.length, frame.nodes.length);
    for (const node of frame.nodes) {
      const at = positions[node.id]!;
      const key = nodeKey(node, at, radius, decorations);
      if (this.nodeKeys[node.id] === key) continue;
      this.nodeKeys[node.id] = key;
      const group = this.nodeGroup(node, at, radius, decorations, frame.nodes);
      const old = groups[node.id];
      if (old === undefined) this.nodeLayer.append(group);
      else old.replaceWith(group);
    }
  }
  private nodeGroup(
    node: NodeView,
    at: Point,
    radius: number,
    decorations: StageDecorations,
    nodes: readonly NodeView[],
  ): SVGGElement {
    const role =
      node.status === 'crashed' ? (node.statusText ?? 'crashed') : (node.inspection?.role ?? '?');
    const classes = ['node', node.status];
    if (decorations.selected === node.id) classes.push('selected');
    if (decorations.sideA.has(node.id)) classes.push('side-a');
    if (decorations.blamed.has(node.id)) classes.push('blamed');
    const group = el('g', {
      class: classes.join(' '),
      'data-node': node.id,
      'data-role': role,
      'data-status': node.status,
      transform: `translate(${at.x} ${at.y})`,
    });
    group.append(el('circle', { r: radius, fill: roleColor(role, node.status) }));
    if (node.status === 'paused')
      group.append(el('text', { y: -radius - 8, class: 'badge' }, '‖ paused'));
    group.append(el('text', { y: -14, class: 'node-name' }, nodeName(node)));
    group.append(el('text', { y: 4, class: 'node-role' }, role));
    group.append(el('text', { y: 20, class: 'node-epoch' }, epochText(node.inspection)));
    const leader = node.inspection?.leader;
    if (leader !== undefined && leader !== null && leader !== node.id)
      group.append(
        el(
          'text',
          { y: 35, class: 'node-leader' },
          `→ ${nodeName(nodes[leader] ?? { id: leader })}`,
        ),
      );
    if (node.inspection !== undefined) {
      const blamedLog = decorations.blamed.has(node.id) ? decorations.blamedLog : undefined;
      this.appendLog(group, node, radius, blamedLog);
    }
    return group;
  }

  private appendLog(
    group: SVGGElement,
    node: NodeView,
    radius: number,
    blamedLog: ReadonlySet<number> | undefined,
  ): void {
    const cellsMax = radius < 50 ? LOG_CELLS_MAX_CROWDED : LOG_CELLS_MAX;
    const log = logSummary(node.inspection!, cellsMax);
    if (log === undefined) {
      stateHighlights(node.inspection!).forEach((line, i) =>
        group.append(el('text', { y: radius + 16 + i * 15, class: 'log-caption' }, line)),
      );
      return;
    }
    const cellWidth = 11;
    const y = radius + 8;
    const x0 = -((log.cells.length * cellWidth) / 2);
    group.append(
      el(
        'text',
        { x: 0, y: y + 30, class: 'log-caption' },
        `log ${log.lastIndex}, commit ${log.commitIndex ?? '–'}`,
      ),
    );
    log.cells.forEach((cell, i) => {
      group.append(
        el('rect', {
          x: x0 + i * cellWidth,
          y,
          width: cellWidth - 2,
          height: 14,
          fill: cell.committed ? epochColor(cell.epoch) : 'white',
          stroke: epochColor(cell.epoch),
          'stroke-width': 2,
          class: `log-cell${cell.committed ? ' committed' : ''}${blamedLog?.has(cell.index) === true ? ' blamed' : ''}`,
          'data-index': cell.index,
        }),
      );
    });
  }

  /** Paints every message and drop: dots always, labels where they fit (see LabelPlacer). */
  private paintMessages(
    frame: Frame,
    positions: readonly Point[],
    radius: number,
    dropFadeUs: number,
  ): void {
    const context = this.context;
    const ratio = this.pixelRatio;
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.clearRect(0, 0, this.canvas.width, this.canvas.height);
    context.setTransform(
      ratio * this.scale,
      0,
      0,
      ratio * this.scale,
      ratio * this.offsetX,
      ratio * this.offsetY,
    );
    this.labels.begin(positions, radius);
    context.font = MESSAGE_FONT;
    context.textBaseline = 'alphabetic';
    context.lineJoin = 'round';
    context.lineWidth = 3;
    context.strokeStyle = 'white';
    const point = this.point;
    let hovered: string | undefined;
    // Dots first, then labels over them: a label is never hidden under the next message's dot.
    for (const message of frame.messages) {
      pointAlong(
        positions,
        message.from,
        message.to,
        messageProgress(message, frame.timeUs),
        radius,
        point,
      );
      context.fillStyle = this.color(message.label);
      context.beginPath();
      context.arc(point.x, point.y, 7, 0, Math.PI * 2);
      context.fill();
    }
    context.fillStyle = LABEL_COLOR;
    for (const message of frame.messages) {
      pointAlong(
        positions,
        message.from,
        message.to,
        messageProgress(message, frame.timeUs),
        radius,
        point,
      );
      this.paintLabel(message.label, point.x, point.y + 4);
      if (hovered === undefined && this.isUnderPointer(point)) {
        hovered = message.label;
        this.hoverAt.x = point.x;
        this.hoverAt.y = point.y;
      }
    }
    context.fillStyle = DROP_COLOR;
    for (const drop of frame.drops) {
      const ageUs = frame.timeUs - drop.droppedUs;
      context.globalAlpha = dropFadeUs <= 0 ? 1 : Math.max(0.15, 1 - ageUs / dropFadeUs);
      pointAlong(positions, drop.from, drop.to, dropProgress(drop), radius, point);
      context.font = DROP_FONT;
      context.textAlign = 'center';
      context.fillText('✕', point.x, point.y + 7);
      context.textAlign = 'start';
      context.font = MESSAGE_FONT;
      this.paintLabel(this.dropCaption(drop), point.x + 2, point.y + 4);
    }
    context.globalAlpha = 1;
    if (hovered !== undefined) {
      context.fillStyle = LABEL_COLOR;
      context.strokeText(hovered, this.hoverAt.x + LABEL_DX, this.hoverAt.y + 4);
      context.fillText(hovered, this.hoverAt.x + LABEL_DX, this.hoverAt.y + 4);
    }
    // For tests and the curious: what the canvas shows, written only when it changes.
    const counts = `${frame.messages.length}/${frame.drops.length}`;
    if (counts !== this.drawnCounts) {
      this.drawnCounts = counts;
      this.canvas.dataset['messages'] = String(frame.messages.length);
      this.canvas.dataset['drops'] = String(frame.drops.length);
    }
  }

  private isUnderPointer(point: Point): boolean {
    const pointer = this.pointer;
    return (
      pointer !== undefined &&
      Math.abs(pointer.x - point.x) < 9 &&
      Math.abs(pointer.y - point.y) < 9
    );
  }

  private paintLabel(text: string, x: number, y: number): void {
    if (!this.labels.place(x, y, this.labelWidth(text))) return;
    this.context.strokeText(text, x + LABEL_DX, y);
    this.context.fillText(text, x + LABEL_DX, y);
  }

  private labelWidth(text: string): number {
    let width = this.labelWidths.get(text);
    if (width === undefined) {
      width = this.context.measureText(text).width;
      this.labelWidths.set(text, width);
    }
    return width;
  }

  private color(label: string): string {
    let color = this.colors.get(label);
    if (color === undefined) {
      color = messageColor(label);
      this.colors.set(label, color);
    }
    return color;
  }

  private dropCaption(drop: DropView): string {
    let caption = this.dropCaptions.get(drop);
    if (caption === undefined) {
      caption = `${drop.label} (${drop.reason})`;
      this.dropCaptions.set(drop, caption);
    }
    return caption;
  }
}

/** Everything a node's group shows: equal keys draw equal groups. */
function nodeKey(node: NodeView, at: Point, radius: number, decorations: StageDecorations): string {
  const inspection = node.inspection;
  const cellsMax = radius < 50 ? LOG_CELLS_MAX_CROWDED : LOG_CELLS_MAX;
  const log = inspection === undefined ? undefined : logSummary(inspection, cellsMax);
  return JSON.stringify([
    node.status,
    node.name,
    inspection?.role,
    epochText(inspection),
    inspection?.leader,
    log === undefined
      ? inspection === undefined
        ? null
        : stateHighlights(inspection)
      : [
          log.lastIndex,
          log.commitIndex,
          log.cells.map((cell) => [cell.index, cell.epoch, cell.committed]),
        ],
    at.x,
    at.y,
    radius,
    decorations.selected === node.id,
    decorations.sideA.has(node.id),
    decorations.blamed.has(node.id),
    decorations.blamed.has(node.id) ? [...(decorations.blamedLog ?? [])] : null,
  ]);
}

function nodeName(node: Pick<NodeView, 'id' | 'name'>): string {
  return node.name ?? `n${node.id}`;
}

/** A node's circle: smaller when the ring is crowded. */
export function nodeRadius(count: number): number {
  return count <= 5 ? 52 : 42;
}

export function ringPositions(count: number): Point[] {
  // An ellipse that fills the wide stage, leaving room for the logs under the bottom nodes.
  const cx = WIDTH / 2;
  const cy = HEIGHT / 2 - 20;
  const rx = count <= 5 ? 300 : 380;
  const ry = HEIGHT / 2 - 100;
  return Array.from({ length: count }, (_, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / count;
    return { x: cx + rx * Math.cos(angle), y: cy + ry * Math.sin(angle) };
  });
}
