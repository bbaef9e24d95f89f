import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ExplicitQuorum,
  JointQuorum,
  ThresholdQuorum,
  fastQuorumSize,
  majority,
  majorityQuorum,
} from './quorum.js';

const set = (...ids: number[]) => new Set(ids);

describe('quorum arithmetic', () => {
  it('a majority is more than half', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(majority)).toEqual([1, 2, 2, 3, 3, 4, 4]);
  });

  it('a fast quorum is ⌈3n/4⌉ (n = 5 ⇒ 4)', () => {
    expect(fastQuorumSize(5)).toBe(4);
    expect(fastQuorumSize(4)).toBe(3);
    expect(fastQuorumSize(3)).toBe(3);
  });

  it('any two fast quorums and one majority intersect', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), (n) => {
        const fast = fastQuorumSize(n);
        // Two fast quorums overlap in at least 2f - n voters; a majority misses at most n - majority.
        expect(2 * fast - n).toBeGreaterThan(n - majority(n));
      }),
    );
  });

  it('any two majorities intersect', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), (n) => {
        expect(2 * majority(n)).toBeGreaterThan(n);
      }),
    );
  });
});

describe('ThresholdQuorum', () => {
  const q = majorityQuorum([1, 2, 3, 4, 5]);

  it('counts only voters', () => {
    expect(q.isQuorum(set(1, 2, 3))).toBe(true);
    expect(q.isQuorum(set(1, 2, 9, 10))).toBe(false);
  });

  it('reports a vote won, lost or pending', () => {
    expect(q.voteResult(set(1, 2, 3), set())).toBe('won');
    expect(q.voteResult(set(1), set(2, 3, 4))).toBe('lost');
    expect(q.voteResult(set(1, 2), set(3, 4))).toBe('pending');
  });

  it('commits the index that a quorum has acknowledged', () => {
    const acked = new Map([
      [1, 10],
      [2, 7],
      [3, 5],
      [4, 2],
    ]);
    expect(q.committedIndex(acked)).toBe(5);
  });

  it('refuses duplicate voters and impossible thresholds', () => {
    expect(() => majorityQuorum([1, 1, 2])).toThrow(/duplicate/);
    expect(() => new ThresholdQuorum([1, 2, 3], 4)).toThrow(/threshold/);
  });
});

describe('JointQuorum', () => {
  const joint = new JointQuorum(majorityQuorum([1, 2, 3]), majorityQuorum([3, 4, 5]));

  it('needs a majority of both configurations', () => {
    expect(joint.isQuorum(set(1, 2, 3))).toBe(false);
    expect(joint.isQuorum(set(1, 3, 4))).toBe(true);
  });

  it('commits the smaller of the two configurations committed indexes', () => {
    const acked = new Map([
      [1, 9],
      [2, 9],
      [3, 1],
      [4, 1],
      [5, 1],
    ]);
    expect(joint.committedIndex(acked)).toBe(1);
  });

  it('loses a vote as soon as either side loses', () => {
    expect(joint.voteResult(set(1, 2), set(4, 5))).toBe('lost');
  });
});

describe('ExplicitQuorum', () => {
  it('knows whether its quorums intersect', () => {
    expect(
      new ExplicitQuorum([
        [1, 2],
        [2, 3],
        [1, 3],
      ]).everyPairIntersects(),
    ).toBe(true);
    expect(
      new ExplicitQuorum([
        [1, 2],
        [3, 4],
      ]).everyPairIntersects(),
    ).toBe(false);
  });

  it('treats a superset of a quorum as a quorum', () => {
    expect(new ExplicitQuorum([[1, 2]]).isQuorum(set(1, 2, 3))).toBe(true);
  });
});
