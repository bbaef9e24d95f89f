import type { NodeId } from '../../../src/core/ids.js';

/** A point in the stage's coordinates (its SVG viewBox, 1000 × 700). */
export interface Point {
  readonly x: number;
  readonly y: number;
}

/** Where a message label goes relative to its dot. */
export const LABEL_DX = 10;
export const LABEL_ASCENT = 9;
export const LABEL_DESCENT = 3;
/** Below a node's circle: its log cells and caption, or its state lines. */
const NODE_FOOTER = 48;
/** Above it: a margin (a paused node's badge may be crossed by a label, rarely). */
const NODE_HEADER = 4;
/** The occupancy grid's cell, in stage units: fine enough that labels pack, coarse enough to be cheap. */
const CELL = 6;

/**
 * A point on the link from `from` to `to`, between the two circles' edges, `progress` from 0 to 1.
 * Each direction keeps to its own side of the line, so a request and its reply do not overlap.
 * Writes into `out` and returns it: called for every message on every frame, it allocates nothing.
 */
export function pointAlong(
  positions: readonly Point[],
  from: NodeId,
  to: NodeId,
  progress: number,
  radius: number,
  out: { x: number; y: number },
): { x: number; y: number } {
  const p = positions[from] ?? ORIGIN;
  const q = positions[to] ?? p;
  const dx = q.x - p.x;
  const dy = q.y - p.y;
  const length = Math.hypot(dx, dy) || 1;
  const inset = Math.min((radius + 9) / length, 0.45);
  const t = inset + (1 - 2 * inset) * progress;
  out.x = p.x + dx * t + (-dy / length) * 6;
  out.y = p.y + dy * t + (dx / length) * 6;
  return out;
}

const ORIGIN: Point = { x: 0, y: 0 };

/**
 * Decides which message labels are drawn. A label is hidden where it would cover a node (its
 * circle, role and epoch text, log and caption) or another label already placed: on a busy link the
 * first label of a bunch is shown and the dots carry the rest. Dots are always drawn. One instance
 * is reused frame after frame; `begin` clears it without allocating.
 */
export class LabelPlacer {
  private readonly columns: number;
  private readonly rows: number;
  private readonly occupied: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.columns = Math.ceil(width / CELL);
    this.rows = Math.ceil(height / CELL);
    this.occupied = new Uint8Array(this.columns * this.rows);
  }

  /** Starts a frame: nodes at `positions` with circles of `radius` keep their area free. */
  begin(positions: readonly Point[], radius: number): void {
    this.occupied.fill(0);
    for (const at of positions)
      this.mark(
        at.x - radius - 4,
        at.y - radius - NODE_HEADER,
        at.x + radius + 4,
        at.y + radius + NODE_FOOTER,
      );
  }

  /**
   * Places a label of `width` stage units whose dot is at (x, y): true, and the space is taken,
   * when it fits; false when it would overlap a node or a label placed earlier in this frame.
   */
  place(x: number, y: number, width: number): boolean {
    const left = x + LABEL_DX;
    const top = y - LABEL_ASCENT;
    const right = left + width;
    const bottom = y + LABEL_DESCENT;
    if (left < 0 || top < 0 || right > this.width || bottom > this.height) return false;
    if (this.isTaken(left, top, right, bottom)) return false;
    this.mark(left, top, right, bottom);
    return true;
  }

  private isTaken(left: number, top: number, right: number, bottom: number): boolean {
    const c0 = Math.max(0, Math.floor(left / CELL));
    const c1 = Math.min(this.columns - 1, Math.floor(right / CELL));
    const r0 = Math.max(0, Math.floor(top / CELL));
    const r1 = Math.min(this.rows - 1, Math.floor(bottom / CELL));
    for (let r = r0; r <= r1; r++)
      for (let c = c0; c <= c1; c++) if (this.occupied[r * this.columns + c] === 1) return true;
    return false;
  }

  private mark(left: number, top: number, right: number, bottom: number): void {
    const c0 = Math.max(0, Math.floor(left / CELL));
    const c1 = Math.min(this.columns - 1, Math.floor(right / CELL));
    const r0 = Math.max(0, Math.floor(top / CELL));
    const r1 = Math.min(this.rows - 1, Math.floor(bottom / CELL));
    for (let r = r0; r <= r1; r++)
      this.occupied.fill(1, r * this.columns + c0, r * this.columns + c1 + 1);
  }
}
