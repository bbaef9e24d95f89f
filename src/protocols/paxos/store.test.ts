import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import type { NodeId } from '../../core/ids.js';
import type { ClientResponse } from '../../core/protocol.js';
import { createRng } from '../../core/rng.js';
import { Network } from './harness.js';
import type { PaxosMessage, PaxosRecord } from './messages.js';
import { VersionedStoreNode } from './store.js';

function storeNetwork(ids: readonly NodeId[] = [0, 1, 2], variant = 'default') {
  const clock = new ManualClock();
  const root = createRng(7);
  let incarnation = 0;
  const responses: { node: NodeId; response: ClientResponse }[] = [];
  const network = new Network<PaxosMessage, PaxosRecord, VersionedStoreNode>(
    ids,
    (id, restored) =>
      new VersionedStoreNode({
        id,
        members: ids,
        variant,
        rng: root.split(`node-${id}-${++incarnation}`),
        clock,
        restored,
        options: {},
      }),
  );
  network.responseSink = (node, response) => responses.push({ node, response });
  return { network, responses };
}

describe('versioned store (seed 002: variable i, get / set(n) / inc(n))', () => {
  it('set(n) makes n the next version; get reads the latest; every node applies the same versions', () => {
    const { network, responses } = storeNetwork();
    network.act(0, (node) => node.request({ id: 1, op: { f: 'put', key: 'i', value: '5' } }));
    network.deliverAll();
    network.act(1, (node) => node.request({ id: 2, op: { f: 'inc', key: 'i', delta: 3 } }));
    network.deliverAll();
    network.act(2, (node) => node.request({ id: 3, op: { f: 'get', key: 'i' } }));
    network.deliverAll();
    expect(responses.map(({ response }) => response)).toEqual([
      { id: 1, outcome: 'ok', result: { f: 'put', previous: null } },
      { id: 2, outcome: 'ok', result: { f: 'inc', value: 8 } },
      { id: 3, outcome: 'ok', result: { f: 'get', value: '8' } },
    ]);
    for (const id of [0, 1, 2]) {
      expect(network.node(id).version()).toBe(3);
      expect(network.node(id).kv.get('i')).toBe('8');
    }
  });

  it('concurrent incs never lose an update: the loser of a version moves to the next one', () => {
    const { network, responses } = storeNetwork();
    // Three nodes each inc(1) at once: all three compete for version 1.
    for (const id of [0, 1, 2])
      network.act(id, (node) =>
        node.request({ id: 10 + id, op: { f: 'inc', key: 'i', delta: 1 } }),
      );
    const rng = createRng(3);
    network.runRandomly(rng, 2_000, 0.5, () => responses.length === 3);
    expect(responses.map(({ response }) => response.outcome)).toEqual(['ok', 'ok', 'ok']);
    const values = responses.map(({ response }) =>
      response.outcome === 'ok' && response.result.f === 'inc' ? response.result.value : null,
    );
    expect(values.sort()).toEqual([1, 2, 3]);
    network.runRandomly(rng, 200, 0.5, () =>
      [0, 1, 2].every((id) => network.node(id).version() === 3),
    );
    for (const id of [0, 1, 2]) expect(network.node(id).kv.get('i')).toBe('3');
  });

  it('a node that missed versions fills the gap by running Paxos on them and learns the chosen commands', () => {
    const { network } = storeNetwork();
    network.isolate(2);
    network.act(0, (node) => node.request({ id: 1, op: { f: 'put', key: 'i', value: '1' } }));
    network.deliverAll();
    network.act(0, (node) => node.request({ id: 2, op: { f: 'put', key: 'i', value: '2' } }));
    network.deliverAll();
    network.heal();
    expect(network.node(2).version()).toBe(0);
    network.act(1, (node) => node.request({ id: 3, op: { f: 'inc', key: 'i', delta: 1 } }));
    network.runRandomly(createRng(5), 500, 0.7, () => network.node(2).version() === 3);
    expect(network.node(2).kv.get('i')).toBe('3');
  });

  it('a restarted node rebuilds the store from the versions it learned', () => {
    const { network } = storeNetwork();
    network.act(0, (node) => node.request({ id: 1, op: { f: 'put', key: 'i', value: '41' } }));
    network.deliverAll();
    network.act(0, (node) => node.request({ id: 2, op: { f: 'inc', key: 'i', delta: 1 } }));
    network.deliverAll();
    network.crash(1);
    network.restart(1);
    expect(network.node(1).version()).toBe(2);
    expect(network.node(1).kv.get('i')).toBe('42');
  });
});
