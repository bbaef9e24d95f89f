import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETUP, vizConfig } from './viz-config.js';
import { VizModel } from './viz-model.js';

type Operation =
  | { kind: 'forward'; times: number }
  | { kind: 'back'; times: number }
  | { kind: 'go'; fraction: number }
  | { kind: 'play'; us: number }
  | { kind: 'crash' | 'restart'; node: number }
  | { kind: 'partition' | 'heal' };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constant('forward' as const), times: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant('back' as const), times: fc.integer({ min: 1, max: 30 }) }),
  fc.record({
    kind: fc.constant('go' as const),
    fraction: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
  fc.record({ kind: fc.constant('play' as const), us: fc.integer({ min: 1, max: 200_000 }) }),
  fc.record({
    kind: fc.constantFrom('crash' as const, 'restart' as const),
    node: fc.integer({ min: 0, max: 2 }),
  }),
  fc.record({ kind: fc.constantFrom('partition' as const, 'heal' as const) }),
);

function apply(model: VizModel, op: Operation): void {
  switch (op.kind) {
    case 'forward':
      for (let i = 0; i < op.times; i++) model.stepForward();
      break;
    case 'back':
      for (let i = 0; i < op.times; i++) model.stepBack();
      break;
    case 'go':
      model.goToStep(Math.floor(op.fraction * (model.stepsKnown - 1)));
      break;
    case 'play':
      model.advanceTo(model.timeUs + op.us);
      break;
    case 'crash':
    case 'restart':
      model.inject({ type: op.kind, nodes: [op.node] });
      break;
    case 'partition':
      model.inject({ type: 'partition', sides: [[0], [1, 2]] });
      break;
    case 'heal':
      model.inject({ type: 'heal' });
      break;
  }
}

function seen(model: VizModel): string {
  const frame = model.frame(0);
  return JSON.stringify([frame, model.events.length, model.lastStepEvents()]);
}

describe('VizModel checkpoints', () => {
  it('show exactly what rebuilding from the seed shows, whatever a person does', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.array(operation, { maxLength: 25 }),
        (seed, ops) => {
          const config = vizConfig({ ...DEFAULT_SETUP, nodes: 3, seed });
          const withCheckpoints = new VizModel(config);
          const rebuilding = new VizModel(config, { checkpointsMax: 0 });
          for (const op of ops) {
            apply(withCheckpoints, op);
            apply(rebuilding, op);
            expect(seen(withCheckpoints)).toBe(seen(rebuilding));
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});
