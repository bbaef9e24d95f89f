import type { NodeId } from '../../../src/core/ids.js';
import { type Frame, type NodeView, dropProgress, messageProgress } from '../model/frame.js';
import { epochColor, messageColor, roleColor } from './colors.js';
import { epochText, logSummary, stateHighlights } from './node-summary.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const WIDTH = 1000;
const HEIGHT = 700;
const LOG_CELLS_MAX = 14;
const LOG_CELLS_MAX_CROWDED = 8;

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface StageDecorations {
  readonly selected: NodeId | undefined;
  readonly sideA: ReadonlySet<NodeId>;
  /** Nodes the violation names. */
  readonly blamed: ReadonlySet<NodeId>;
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

/** The cluster drawn as a ring of nodes with messages travelling between them. */
export class Stage {
  readonly svg: SVGSVGElement;
  private readonly linkLayer: SVGGElement;
  private readonly nodeLayer: SVGGElement;
  private readonly messageLayer: SVGGElement;
  /** What was last drawn, so a frame redraws only what changed (messages move every frame). */
  private drawnLinks = '';
  private drawnNodes: { nodes: readonly NodeView[]; decorations: string } | undefined;
  private readonly drawnMessages = new Map<string, SVGGElement>();

  constructor(
    container: HTMLElement,
    private readonly onNodeClick: (node: NodeId, event: MouseEvent) => void,
  ) {
    this.svg = el('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img' });
    this.svg.setAttribute('aria-label', 'the cluster');
    this.linkLayer = el('g');
    this.nodeLayer = el('g');
    this.messageLayer = el('g');
    // Messages under the nodes: a crowded link never hides a node's state.
    this.svg.append(this.linkLayer, this.messageLayer, this.nodeLayer);
    container.append(this.svg);
  }

  /** Forgets what was drawn: a new run reuses message ids for other messages. */
  clear(): void {
    this.drawnLinks = '';
    this.drawnNodes = undefined;
    this.drawnMessages.clear();
    this.messageLayer.replaceChildren();
  }

  render(frame: Frame, decorations: StageDecorations): void {
    const positions = ringPositions(frame.nodes.length);
    const radius = nodeRadius(frame.nodes.length);
    this.renderLinks(frame, positions);
    const decorationKey = JSON.stringify([
      decorations.selected,
      [...decorations.sideA],
      [...decorations.blamed],
    ]);
    if (this.drawnNodes?.nodes !== frame.nodes || this.drawnNodes.decorations !== decorationKey) {
      this.renderNodes(frame, positions, radius, decorations);
      this.drawnNodes = { nodes: frame.nodes, decorations: decorationKey };
    }
    this.renderMessages(frame, positions, radius, decorations.dropFadeUs);
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

  private renderNodes(
    frame: Frame,
    positions: readonly Point[],
    radius: number,
    decorations: StageDecorations,
  ): void {
    this.nodeLayer.replaceChildren();
    for (const node of frame.nodes) {
      const at = positions[node.id]!;
      this.nodeLayer.append(this.nodeGroup(node, at, radius, decorations, frame.nodes));
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
    group.addEventListener('click', (event) => this.onNodeClick(node.id, event));
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
    if (node.inspection !== undefined) this.appendLog(group, node, radius);
    return group;
  }

  private appendLog(group: SVGGElement, node: NodeView, radius: number): void {
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
          class: cell.committed ? 'log-cell committed' : 'log-cell',
        }),
      );
    });
  }

  private renderMessages(
    frame: Frame,
    positions: readonly Point[],
    radius: number,
    dropFadeUs: number,
  ): void {
    const seen = new Set<string>();
    for (const message of frame.messages) {
      const key = `m${message.id}`;
      seen.add(key);
      const at = along(
        positions,
        message.from,
        message.to,
        messageProgress(message, frame.timeUs),
        radius,
      );
      this.messageElement(key, () => {
        const group = el('g', { class: 'message' });
        group.append(el('circle', { r: 7, fill: messageColor(message.label) }));
        group.append(el('text', { x: 10, y: 4, class: 'message-label' }, message.label));
        return group;
      }).setAttribute('transform', `translate(${at.x.toFixed(1)} ${at.y.toFixed(1)})`);
    }
    for (const drop of frame.drops) {
      const key = `d${drop.id}`;
      seen.add(key);
      const ageUs = frame.timeUs - drop.droppedUs;
      const opacity = dropFadeUs <= 0 ? 1 : Math.max(0.15, 1 - ageUs / dropFadeUs);
      const at = along(positions, drop.from, drop.to, dropProgress(drop), radius);
      const group = this.messageElement(key, () => {
        const created = el('g', { class: 'message dropped' });
        created.append(el('text', { class: 'drop-mark', y: 6 }, '✕'));
        created.append(
          el('text', { x: 12, y: 4, class: 'message-label' }, `${drop.label} (${drop.reason})`),
        );
        return created;
      });
      group.setAttribute('transform', `translate(${at.x.toFixed(1)} ${at.y.toFixed(1)})`);
      group.setAttribute('opacity', opacity.toFixed(2));
    }
    for (const [key, element] of this.drawnMessages)
      if (!seen.has(key)) {
        element.remove();
        this.drawnMessages.delete(key);
      }
  }

  private messageElement(key: string, create: () => SVGGElement): SVGGElement {
    let element = this.drawnMessages.get(key);
    if (element === undefined) {
      element = create();
      this.drawnMessages.set(key, element);
      this.messageLayer.append(element);
    }
    return element;
  }
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

/** A point on the link from `from` to `to`, between the two circles' edges. */
export function along(
  positions: readonly Point[],
  from: NodeId,
  to: NodeId,
  progress: number,
  radius: number,
): Point {
  const p = positions[from] ?? { x: 0, y: 0 };
  const q = positions[to] ?? p;
  const dx = q.x - p.x;
  const dy = q.y - p.y;
  const length = Math.hypot(dx, dy) || 1;
  const inset = Math.min((radius + 9) / length, 0.45);
  const t = inset + (1 - 2 * inset) * progress;
  // Offset each direction to its own side of the line, so a request and its reply do not overlap.
  const nx = (-dy / length) * 6;
  const ny = (dx / length) * 6;
  return { x: p.x + dx * t + nx, y: p.y + dy * t + ny };
}
