import { describe, expect, it } from 'vitest';
import { ballot } from '../../core/ballot.js';
import { ManualClock } from '../../core/clock.js';
import { createRng } from '../../core/rng.js';
import { PaxosNode } from './node.js';
import { A, B, X, Y, Z, fiveNodes, lastMessage, watch } from './test-helpers.js';

describe('proposer', () => {
  it('sends a prepare that carries a ballot and no value, to every acceptor', () => {
    const network = fiveNodes();
    network.act(A, (node) => node.propose('a', { round: 2 }));
    expect(network.pending({ from: A }).map((envelope) => envelope.message)).toEqual(
      [X, Y, Z].map(() => ({ type: 'prepare', instance: 0, ballot: ballot(2, A) })),
    );
  });

  it('waits for a majority of promises before phase 2', () => {
    const network = fiveNodes();
    network.act(A, (node) => node.propose('a'));
    network.deliverAll({ type: 'prepare' });
    network.deliver({ from: X, to: A, type: 'promise' });
    expect(network.pending({ from: A, type: 'accept' })).toHaveLength(0);
    network.deliver({ from: Y, to: A, type: 'promise' });
    expect(network.pending({ from: A, type: 'accept' })).toHaveLength(3);
  });

  it('proposes the value with the highest vrnd among the promises, not its own', () => {
    const network = fiveNodes();
    // X accepted [1.3, "old"], Y accepted [3.4, "newer"]: B must propose "newer".
    network.act(X, (node) =>
      node.step(A, { type: 'accept', instance: 0, ballot: ballot(1, A), value: 'old' }),
    );
    network.act(Y, (node) =>
      node.step(B, { type: 'accept', instance: 0, ballot: ballot(3, B), value: 'newer' }),
    );
    network.act(B, (node) => node.propose('mine', { round: 7 }));
    network.deliverAll({ type: 'prepare' });
    network.deliver({ from: X, to: B, type: 'promise' });
    network.deliver({ from: Y, to: B, type: 'promise' });
    expect(lastMessage(network, B, X)).toEqual({
      type: 'accept',
      instance: 0,
      ballot: ballot(7, B),
      value: 'newer',
    });
  });

  it('proposes its own value when no promise reports an accepted value', () => {
    const network = fiveNodes();
    network.act(B, (node) => node.propose('mine'));
    network.deliverAll({ type: 'prepare' });
    network.deliverAll({ type: 'promise' });
    expect(lastMessage(network, B, Z)).toMatchObject({ type: 'accept', value: 'mine' });
  });

  it('a value is chosen once a majority accepted it in one ballot', () => {
    const network = fiveNodes();
    const violations = watch(network);
    network.act(A, (node) => node.propose('a'));
    network.deliverAll({ type: 'prepare' });
    network.deliverAll({ type: 'promise' });
    network.deliver({ from: A, to: X, type: 'accept' });
    network.deliver({ from: X, to: A, type: 'accepted' });
    expect(network.node(A).proposer?.chosenValue).toBeUndefined();
    network.deliver({ from: A, to: Y, type: 'accept' });
    network.deliver({ from: Y, to: A, type: 'accepted' });
    expect(network.node(A).proposer?.chosenValue).toBe('a');
    network.deliverAll();
    for (const id of [X, Y, Z, A, B]) expect(network.node(id).learned()).toBe('a');
    expect(violations).toEqual([]);
  });

  it('after a rejection it retries with a ballot above the rejection’s lastRnd', () => {
    const network = fiveNodes('default', { backoff: 'none' });
    network.act(B, (node) => node.propose('b', { round: 9 }));
    network.deliverAll({ type: 'prepare' });
    network.act(A, (node) => node.propose('a', { round: 2 }));
    network.deliverAll({ from: A, type: 'prepare' });
    network.deliverAll({ to: A });
    expect(network.node(A).proposer?.phase).toBe('backing-off');
    network.tick([A]);
    expect(lastMessage(network, A, X)).toEqual({
      type: 'prepare',
      instance: 0,
      ballot: ballot(10, A),
    });
  });

  it('persists its round before the prepare leaves, so a restarted proposer never reuses a ballot', () => {
    const network = fiveNodes();
    network.act(A, (node) => node.propose('a', { round: 5 }));
    network.crash(A);
    network.restart(A);
    network.act(A, (node) => node.propose('a'));
    expect(lastMessage(network, A, X)).toMatchObject({ type: 'prepare', ballot: ballot(6, A) });
  });

  it('timestamp scheme: the round is the local clock in milliseconds (high bits), the node id breaks ties', () => {
    const clock = new ManualClock(1_700_000_000_000_000);
    const node = new PaxosNode({
      id: 7,
      members: [0, 1, 2, 7],
      variant: 'default',
      rng: createRng(1),
      clock,
      restored: [],
      options: { autoPropose: false, ballotScheme: 'timestamp', acceptors: [0, 1, 2] },
    });
    node.propose('v');
    const first = node.ready().messages[0]?.message;
    expect(first).toEqual({ type: 'prepare', instance: 0, ballot: ballot(1_700_000_000_000, 7) });
  });

  it('randomized binary exponential backoff: the window doubles with each consecutive failure, up to the cap', () => {
    const network = fiveNodes('default', {
      backoff: 'exponential',
      backoffTicksBase: 4,
      backoffTicksMax: 32,
      phaseTimeoutTicks: 1,
    });
    network.isolate(A);
    network.act(A, (node) => node.propose('a'));
    const delays: number[] = [];
    for (let tick = 0; tick < 400; tick++) network.tick([A]);
    for (const { node, note } of network.notes)
      if (node === A && note.kind === 'retry')
        delays.push((note.data as { delayTicks: number }).delayTicks);
    expect(delays.length).toBeGreaterThan(10);
    const windows = [4, 8, 16, 32];
    delays.forEach((delay, index) => {
      expect(delay).toBeGreaterThanOrEqual(1);
      expect(delay).toBeLessThanOrEqual(windows[Math.min(index, windows.length - 1)] as number);
    });
  });
});
