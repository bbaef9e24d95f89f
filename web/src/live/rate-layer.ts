import type { NodeId } from '../../../src/core/ids.js';
import { messageColor } from '../view/colors.js';
import { type Point, pointAlong } from '../model/message-layout.js';
import { nodeRadius, ringPositions } from '../view/stage.js';
import { type LiveLink, type LiveNode, pulsePositions, rateText } from './live-view.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

function el<K extends keyof SVGElementTagNameMap>(
  name: K,
  attributes: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/**
 * Drawn over the stage in live mode: each directed link's message rate as a number beside it and
 * as pulses travelling at that rate (not one per message: a server sends too many to draw, and
 * the page only sees counts), and a badge on members that do not answer.
 */
export class RateLayer {
  private readonly layer: SVGGElement;
  private readonly badges: SVGGElement;
  private readonly links = new Map<string, { group: SVGGElement; pulses: SVGCircleElement[] }>();
  private drawnBadges = '';

  constructor(private readonly svg: SVGSVGElement) {
    this.layer = el('g', { class: 'live-rates' });
    this.badges = el('g', { class: 'live-badges' });
    svg.append(this.layer, this.badges);
  }

  remove(): void {
    this.layer.remove();
    this.badges.remove();
  }

  /** Labels and badges change with each poll. */
  update(nodes: readonly LiveNode[], links: readonly LiveLink[], silent: number): void {
    const positions = ringPositions(nodes.length);
    const radius = nodeRadius(nodes.length);
    const seen = new Set<string>();
    for (const link of links) {
      const key = `${link.from}-${link.to}`;
      seen.add(key);
      let drawn = this.links.get(key);
      if (drawn === undefined) {
        const group = el('g', { class: 'live-link', 'data-from': link.from, 'data-to': link.to });
        group.append(el('text', { class: 'rate-label' }), el('title', {}));
        drawn = { group, pulses: [] };
        this.links.set(key, drawn);
        this.layer.append(group);
      }
      const label = drawn.group.querySelector('text')!;
      const at = labelPoint(positions, link.from, link.to, radius);
      label.setAttribute('x', at.x.toFixed(1));
      label.setAttribute('y', at.y.toFixed(1));
      label.textContent = rateText(link.perSecond);
      drawn.group.dataset['perSecond'] = link.perSecond.toFixed(2);
      drawn.group.dataset['type'] = link.byType[0]?.type ?? '';
      drawn.group.querySelector('title')!.textContent =
        `n${link.from} → n${link.to}: ` +
        link.byType.map((each) => `${each.type} ${rateText(each.perSecond)}`).join(', ');
    }
    for (const [key, drawn] of this.links)
      if (!seen.has(key)) {
        drawn.group.remove();
        this.links.delete(key);
      }
    this.linkState = { links, positions, radius };
    const badgeKey = JSON.stringify([silent, nodes.map((node) => [node.status, node.error])]);
    if (badgeKey !== this.drawnBadges) {
      this.drawnBadges = badgeKey;
      this.badges.replaceChildren();
      for (const node of nodes) {
        if (node.status === 'up') continue;
        const at = positions[node.nodeId]!;
        const text =
          node.status === 'down'
            ? '✕ unreachable'
            : silent > 0
              ? 'not answering?'
              : 'no endpoint given';
        const badge = el(
          'text',
          {
            x: at.x,
            y: at.y - radius - 10,
            class: `live-badge ${node.status}`,
            'data-node': node.nodeId,
          },
          text,
        );
        badge.append(el('title', {}, node.error ?? text));
        this.badges.append(badge);
      }
    }
  }

  private linkState:
    { links: readonly LiveLink[]; positions: readonly Point[]; radius: number } | undefined;

  /** Moves the pulses; called every animation frame. */
  animate(seconds: number): void {
    if (this.linkState === undefined) return;
    const { links, positions, radius } = this.linkState;
    for (const link of links) {
      const drawn = this.links.get(`${link.from}-${link.to}`);
      if (drawn === undefined) continue;
      const progress = pulsePositions(link.perSecond, seconds);
      while (drawn.pulses.length < progress.length) {
        const pulse = el('circle', {
          r: 5,
          class: 'pulse',
          fill: messageColor(link.byType[0]?.type ?? '?'),
        });
        drawn.pulses.push(pulse);
        drawn.group.prepend(pulse);
      }
      drawn.pulses.forEach((pulse, i) => {
        const position = progress[i];
        if (position === undefined) {
          pulse.setAttribute('visibility', 'hidden');
          return;
        }
        const at = pointAlong(positions, link.from, link.to, position, radius, { x: 0, y: 0 });
        pulse.setAttribute('visibility', 'visible');
        pulse.setAttribute('cx', at.x.toFixed(1));
        pulse.setAttribute('cy', at.y.toFixed(1));
      });
    }
  }
}

/** Beside the middle of the link, on the sender's side (each direction has its own side). */
function labelPoint(positions: readonly Point[], from: NodeId, to: NodeId, radius: number): Point {
  const middle = pointAlong(positions, from, to, 0.4, radius, { x: 0, y: 0 });
  const p = positions[from]!;
  const q = positions[to]!;
  const length = Math.hypot(q.x - p.x, q.y - p.y) || 1;
  return {
    x: middle.x + (-(q.y - p.y) / length) * 16,
    y: middle.y + ((q.x - p.x) / length) * 16 + 4,
  };
}
