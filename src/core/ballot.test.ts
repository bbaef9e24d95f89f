import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ZERO_BALLOT,
  ballot,
  ballotFromProposalNumber,
  compareBallots,
  formatBallot,
  nextBallot,
  proposalNumber,
} from './ballot.js';

const arbitraryBallot = fc
  .record({
    round: fc.integer({ min: 0, max: 2 ** 36 }),
    node: fc.integer({ min: 0, max: 0xffff }),
  })
  .map(({ round, node }) => ballot(round, node));

describe('ballots', () => {
  it('order by round, then by node', () => {
    expect(compareBallots(ballot(2, 9), ballot(3, 0))).toBeLessThan(0);
    expect(compareBallots(ballot(3, 1), ballot(3, 0))).toBeGreaterThan(0);
    expect(formatBallot(ballot(4, 2))).toBe('4.2');
  });

  it('proposal numbers order exactly like ballots and round-trip', () => {
    fc.assert(
      fc.property(arbitraryBallot, arbitraryBallot, (a, b) => {
        expect(Math.sign(proposalNumber(a) - proposalNumber(b))).toBe(
          Math.sign(compareBallots(a, b)),
        );
        expect(ballotFromProposalNumber(proposalNumber(a))).toEqual(a);
      }),
    );
  });

  it('the counter scheme yields a unique ballot above everything seen', () => {
    fc.assert(
      fc.property(arbitraryBallot, fc.integer({ min: 0, max: 0xffff }), (seen, node) => {
        const next = nextBallot('counter', node, seen);
        expect(compareBallots(next, seen)).toBeGreaterThan(0);
        expect(next.node).toBe(node);
      }),
    );
  });

  it('the timestamp scheme puts the clock in the high bits and the node id in the low bits', () => {
    const next = nextBallot('timestamp', 3, ZERO_BALLOT, 1_700_000_000);
    expect(next).toEqual({ round: 1_700_000_000, node: 3 });
    expect(proposalNumber(next) % 65536).toBe(3);
    // A clock behind what was seen still yields a higher ballot.
    const behind = nextBallot('timestamp', 1, ballot(5000, 2), 10);
    expect(compareBallots(behind, ballot(5000, 2))).toBeGreaterThan(0);
  });

  it('two proposers never pick the same ballot', () => {
    fc.assert(
      fc.property(arbitraryBallot, fc.integer({ min: 0, max: 100 }), (seen, nowMs) => {
        const a = nextBallot('timestamp', 1, seen, nowMs);
        const b = nextBallot('timestamp', 2, seen, nowMs);
        expect(compareBallots(a, b)).not.toBe(0);
      }),
    );
  });
});
