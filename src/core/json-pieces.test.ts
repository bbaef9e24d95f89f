import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonJoiner, JsonPieceError, jsonPieces } from './json-pieces.js';

function join(pieces: Iterable<string>, joiner = new JsonJoiner()): unknown {
  for (const piece of pieces) joiner.push(JSON.parse(piece));
  return joiner.result();
}

/** JSON values with arrays long enough to be cut at 3 elements per piece. */
const jsonWithLongArrays = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)),
    fc.array(tie('value'), { maxLength: 10 }),
    fc.dictionary(fc.string({ maxLength: 4 }), tie('value'), { maxKeys: 4 }),
  ),
})).value;

describe('json pieces', () => {
  it('any JSON value joins back to what JSON.parse(JSON.stringify(value)) gives', () => {
    fc.assert(
      fc.property(jsonWithLongArrays, fc.integer({ min: 1, max: 4 }), (value, perPiece) => {
        const expected: unknown = JSON.parse(JSON.stringify(value));
        expect(join(jsonPieces(value, perPiece))).toEqual(expected);
      }),
    );
  });

  it('a value without long arrays is one piece: its head', () => {
    const pieces = [...jsonPieces({ a: [1, 2], b: 'x' }, 2)];
    expect(pieces).toEqual(['{"value":{"a":[1,2],"b":"x"},"arrays":[]}']);
  });

  it('a long array is cut into slices of at most elementsPerPiece, after the head', () => {
    const snapshot = { data: { records: [1, 2, 3, 4, 5] }, leases: [[7, 60]] };
    const pieces = [...jsonPieces(snapshot, 2)];
    expect(pieces).toEqual([
      '{"value":{"data":{"records":[]},"leases":[[7,60]]},"arrays":[[["data","records"],5]]}',
      '[1,2]',
      '[3,4]',
      '[5]',
    ]);
    expect(join(pieces)).toEqual(snapshot);
  });

  it('the value itself may be the long array, and long arrays inside small arrays are found', () => {
    expect(join(jsonPieces([1, 2, 3], 1))).toEqual([1, 2, 3]);
    const nested = [{ list: [1, 2, 3] }, 'x'];
    expect([...jsonPieces(nested, 2)][0]).toBe(
      '{"value":[{"list":[]},"x"],"arrays":[[[0,"list"],3]]}',
    );
    expect(join(jsonPieces(nested, 2))).toEqual(nested);
  });

  it('the source value is not changed (its long arrays are not emptied)', () => {
    const source = { records: [1, 2, 3] };
    expect([...jsonPieces(source, 1)]).toHaveLength(4);
    expect(source).toEqual({ records: [1, 2, 3] });
  });

  it('the joiner is done only after the last slice', () => {
    const joiner = new JsonJoiner();
    const pieces = [...jsonPieces({ r: [1, 2, 3] }, 2)];
    joiner.push(JSON.parse(pieces[0] as string));
    expect(joiner.done).toBe(false);
    expect(() => joiner.result()).toThrow(JsonPieceError);
    joiner.push(JSON.parse(pieces[1] as string));
    expect(joiner.done).toBe(false);
    joiner.push(JSON.parse(pieces[2] as string));
    expect(joiner.done).toBe(true);
  });

  describe('a piece that does not fit is refused with JsonPieceError', () => {
    const refuses = (pieces: unknown[], message: RegExp) => {
      const joiner = new JsonJoiner({ arraysMax: 2, elementsMax: 10 });
      expect(() => {
        for (const piece of pieces) joiner.push(piece);
      }).toThrow(message);
    };
    it('a head that is not an object, or lacks value or arrays', () => {
      refuses([[1]], /head object/);
      refuses([{ value: 1 }], /"arrays"/);
      refuses([{ arrays: [] }], /"value"/);
    });
    it('a path that leads nowhere or not to an empty array', () => {
      refuses([{ value: { a: [] }, arrays: [[['b'], 2]] }], /leads nowhere/);
      refuses([{ value: { a: [] }, arrays: [[['a', 0], 2]] }], /leads nowhere/);
      refuses([{ value: { a: [1] }, arrays: [[['a'], 2]] }], /empty array/);
      refuses([{ value: {}, arrays: [[['__proto__'], 2]] }], /leads nowhere/);
      refuses(
        [
          {
            value: { a: [] },
            arrays: [
              [['a'], 2],
              [['a'], 2],
            ],
          },
        ],
        /one array/,
      );
    });
    it('lengths and counts beyond the limits', () => {
      refuses([{ value: { a: [] }, arrays: [[['a'], 0]] }], /bad array length/);
      refuses([{ value: { a: [] }, arrays: [[['a'], 11]] }], /more than 10 elements/);
      refuses(
        [
          {
            value: [[], [], []],
            arrays: [
              [[0], 1],
              [[1], 1],
              [[2], 1],
            ],
          },
        ],
        /above 2/,
      );
    });
    it('a slice that is not an array, overflows, or comes after the end', () => {
      const head = { value: { a: [] }, arrays: [[['a'], 2]] };
      refuses([head, 'x'], /non-empty JSON array/);
      refuses([head, [1, 2, 3]], /overflows/);
      refuses([head, [1, 2], [3]], /after the value was complete/);
    });
  });
});
