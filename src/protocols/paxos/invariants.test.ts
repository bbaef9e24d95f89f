import { describe, expect, it } from 'vitest';
import { ballot } from '../../core/ballot.js';
import { PaxosInvariantChecker } from './invariants.js';
import type { PaxosVariant } from './options.js';
import { A, B, X, Y, Z, fiveNodes } from './test-helpers.js';

/** X accepts [1.A, a] in memory and crashes before its batch is drained (so before any fsync). */
function acceptLostInCrash(variant: PaxosVariant) {
  const network = fiveNodes(variant);
  const checker = new PaxosInvariantChecker(variant);
  const check = () => checker.check(network.view());
  network.act(A, (node) => node.propose('a'));
  network.act(B, (node) => node.propose('b'));
  network.act(Y, (node) =>
    node.step(A, { type: 'accept', instance: 0, ballot: ballot(1, A), value: 'a' }),
  );
  network.node(X).step(A, { type: 'accept', instance: 0, ballot: ballot(1, A), value: 'a' });
  expect(check()).toBeUndefined();
  expect(checker.chosenValues()).toEqual(['a']); // X and Y accepted: chosen, as far as memory shows
  network.crash(X);
  network.restart(X);
  const afterRestart = check();
  // B now completes both phases with X (which forgot) and Z (which never heard of a).
  for (const acceptor of [X, Z]) {
    network.act(acceptor, (node) =>
      node.step(B, { type: 'prepare', instance: 0, ballot: ballot(2, B) }),
    );
    network.act(acceptor, (node) =>
      node.step(B, { type: 'accept', instance: 0, ballot: ballot(2, B), value: 'b' }),
    );
  }
  return { afterRestart, final: check(), chosen: checker.chosenValues() };
}

describe('invariant checker', () => {
  it('an accept lost in a crash before it was durable was never made: nothing it caused left the node', () => {
    const { afterRestart, final, chosen } = acceptLostInCrash('default');
    expect(afterRestart).toBeUndefined();
    expect(final).toBeUndefined();
    expect(chosen).toEqual(['b']);
  });

  it('under reply-before-persist the same lost accept still counts, because its reply may have left', () => {
    const { final } = acceptLostInCrash('reply-before-persist');
    expect(final?.invariant).toBe('agreement');
  });

  it('validity: a value nobody proposed cannot be chosen', () => {
    const network = fiveNodes();
    const checker = new PaxosInvariantChecker('default');
    for (const acceptor of [X, Y])
      network.act(acceptor, (node) =>
        node.step(A, { type: 'accept', instance: 0, ballot: ballot(1, A), value: 'forged' }),
      );
    expect(checker.check(network.view())?.invariant).toBe('validity');
  });
});
