import { describe, expect, it } from 'vitest';
import { ballot } from '../../core/ballot.js';
import { A, B, X, Y, Z, fiveNodes, lastMessage } from './test-helpers.js';

describe('acceptor', () => {
  it('promises a prepare whose ballot is above lastRnd, reporting (v, vrnd) = null when it accepted nothing', () => {
    const network = fiveNodes();
    network.act(A, (node) => node.propose('a', { round: 2 }));
    network.deliver({ from: A, to: X, type: 'prepare' });
    expect(lastMessage(network, X, A)).toEqual({
      type: 'promise',
      instance: 0,
      ballot: ballot(2, A),
      accepted: null,
    });
    expect(network.node(X).acceptor?.state(0).lastRnd).toEqual(ballot(2, A));
  });

  it('rejects a prepare at or below lastRnd, and the rejection carries lastRnd', () => {
    const network = fiveNodes();
    network.act(B, (node) => node.propose('b', { round: 4 }));
    network.act(A, (node) => node.propose('a', { round: 2 }));
    network.deliver({ from: B, to: X, type: 'prepare' });
    network.deliver({ from: A, to: X, type: 'prepare' });
    expect(lastMessage(network, X, A)).toEqual({
      type: 'prepare-rejected',
      instance: 0,
      ballot: ballot(2, A),
      lastRnd: ballot(4, B),
    });
    // The same ballot again (a duplicated prepare) is not above lastRnd either.
    network.act(X, (node) => node.step(B, { type: 'prepare', instance: 0, ballot: ballot(4, B) }));
    expect(lastMessage(network, X, B).type).toBe('prepare-rejected');
  });

  it('accepts in phase 2 iff rnd ≥ lastRnd: equal is the proposer it promised, lower is refused', () => {
    const network = fiveNodes();
    network.act(X, (node) => node.step(B, { type: 'prepare', instance: 0, ballot: ballot(4, B) }));
    network.act(X, (node) =>
      node.step(A, { type: 'accept', instance: 0, ballot: ballot(2, A), value: 'a' }),
    );
    expect(lastMessage(network, X, A)).toMatchObject({
      type: 'accept-rejected',
      lastRnd: ballot(4, B),
    });
    network.act(X, (node) =>
      node.step(B, { type: 'accept', instance: 0, ballot: ballot(4, B), value: 'b' }),
    );
    expect(lastMessage(network, X, B)).toMatchObject({ type: 'accepted', ballot: ballot(4, B) });
    // Higher than anything promised is accepted too, without a prepare (Lamport allows it).
    network.act(X, (node) =>
      node.step(A, { type: 'accept', instance: 0, ballot: ballot(5, A), value: 'b' }),
    );
    expect(lastMessage(network, X, A)).toMatchObject({ type: 'accepted', ballot: ballot(5, A) });
    expect(network.node(X).acceptor?.state(0)).toEqual({
      lastRnd: ballot(5, A),
      accepted: { ballot: ballot(5, A), value: 'b' },
    });
  });

  it('persists lastRnd, v and vrnd in the same batch as its reply, with sync: true (durable before the reply leaves)', () => {
    const network = fiveNodes();
    const x = network.node(X);
    x.step(A, { type: 'prepare', instance: 0, ballot: ballot(2, A) });
    const promise = x.ready();
    expect(promise.sync).toBe(true);
    expect(promise.persist).toEqual([
      {
        kind: 'append',
        records: [{ kind: 'acceptor', instance: 0, lastRnd: ballot(2, A), accepted: null }],
      },
    ]);
    expect(promise.messages.map((envelope) => envelope.message.type)).toEqual(['promise']);
    x.step(A, { type: 'accept', instance: 0, ballot: ballot(2, A), value: 8 });
    const accepted = x.ready();
    expect(accepted.sync).toBe(true);
    expect(accepted.persist[0]?.records).toEqual([
      {
        kind: 'acceptor',
        instance: 0,
        lastRnd: ballot(2, A),
        accepted: { ballot: ballot(2, A), value: 8 },
      },
    ]);
  });

  it('a restarted acceptor restores lastRnd, v and vrnd from NodeContext.restored', () => {
    const network = fiveNodes();
    network.act(X, (node) =>
      node.step(A, { type: 'accept', instance: 0, ballot: ballot(2, A), value: 8 }),
    );
    network.crash(X);
    network.restart(X);
    expect(network.node(X).acceptor?.state(0)).toEqual({
      lastRnd: ballot(2, A),
      accepted: { ballot: ballot(2, A), value: 8 },
    });
    network.act(X, (node) => node.step(B, { type: 'prepare', instance: 0, ballot: ballot(4, B) }));
    expect(lastMessage(network, X, B)).toMatchObject({
      type: 'promise',
      accepted: { ballot: ballot(2, A), value: 8 },
    });
  });

  it('reply-before-persist: the batch is not synced, so a crash forgets the promise', () => {
    const network = fiveNodes('reply-before-persist');
    network.act(X, (node) => node.step(A, { type: 'prepare', instance: 0, ballot: ballot(2, A) }));
    expect(lastMessage(network, X, A).type).toBe('promise');
    network.crash(X);
    network.restart(X);
    expect(network.node(X).acceptor?.state(0).lastRnd).toEqual(ballot(0, 0));
    void Y;
    void Z;
  });
});
