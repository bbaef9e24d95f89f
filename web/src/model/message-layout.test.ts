import { describe, expect, it } from 'vitest';
import { LABEL_DX, LabelPlacer, pointAlong } from './message-layout.js';

const RING = [
  { x: 100, y: 100 },
  { x: 500, y: 100 },
];

describe('pointAlong', () => {
  it('runs from one circle edge to the other, each direction on its own side', () => {
    const out = { x: 0, y: 0 };
    const start = { ...pointAlong(RING, 0, 1, 0, 40, out) };
    const end = { ...pointAlong(RING, 0, 1, 1, 40, out) };
    expect(start.x).toBeCloseTo(149);
    expect(end.x).toBeCloseTo(451);
    const back = { ...pointAlong(RING, 1, 0, 0.5, 40, out) };
    const forth = { ...pointAlong(RING, 0, 1, 0.5, 40, out) };
    expect(forth.y).toBeCloseTo(106);
    expect(back.y).toBeCloseTo(94);
  });

  it('writes into the point it is given', () => {
    const out = { x: 0, y: 0 };
    expect(pointAlong(RING, 0, 1, 0.5, 40, out)).toBe(out);
  });
});

describe('LabelPlacer', () => {
  it('keeps labels off the nodes: their circle, text and log', () => {
    const placer = new LabelPlacer(1000, 700);
    placer.begin(RING, 40);
    expect(placer.place(100 - LABEL_DX, 100, 30)).toBe(false); // on the role text
    expect(placer.place(100 - LABEL_DX, 180, 30)).toBe(false); // on the log under it
    expect(placer.place(300, 300, 30)).toBe(true);
  });

  it('hides a label that would overlap one placed before it, and forgets them each frame', () => {
    const placer = new LabelPlacer(1000, 700);
    placer.begin(RING, 40);
    expect(placer.place(300, 300, 60)).toBe(true);
    expect(placer.place(310, 302, 60)).toBe(false);
    expect(placer.place(300, 330, 60)).toBe(true); // a line lower: room
    placer.begin(RING, 40);
    expect(placer.place(310, 302, 60)).toBe(true);
  });

  it('hides labels that would leave the stage', () => {
    const placer = new LabelPlacer(1000, 700);
    placer.begin([], 40);
    expect(placer.place(980, 300, 60)).toBe(false);
    expect(placer.place(300, 2, 60)).toBe(false);
  });
});
