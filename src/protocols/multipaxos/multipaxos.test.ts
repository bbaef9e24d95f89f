import { describe, expect, it } from 'vitest';
import { ballot } from '../../core/ballot.js';
import { multiPaxosCluster } from './harness.js';
import type { AcceptedSlot } from './messages.js';
import { recoveryProposals } from './recovery.js';

const THREE = [0, 1, 2];

describe('Multi-Paxos: a stable leader', () => {
  it('runs phase 1 once, then decides each command with one accept round trip and no prepare', () => {
    const { network, elect, put, engine, violations } = multiPaxosCluster(THREE);
    elect(0);
    expect(engine(0).role).toBe('leader');
    const prepares = network.sentByType.get('prepare');
    expect(prepares).toBe(2);
    for (let index = 0; index < 5; index++) {
      const acceptsBefore = network.sentByType.get('accept') ?? 0;
      put(0, 'k', `v${index}`);
      expect(network.sentByType.get('accept')! - acceptsBefore).toBe(2); // one accept per follower
      network.deliverAll();
    }
    expect(network.sentByType.get('prepare')).toBe(prepares);
    expect(network.node(0).state.apply({ f: 'get', key: 'k' })).toMatchObject({ value: 'v4' });
    expect(violations).toEqual([]);
  });

  it('is not preempted: an acceptor under its lease refuses another proposer’s prepare', () => {
    const { network, elect, engine } = multiPaxosCluster(THREE);
    elect(0);
    for (let tick = 0; tick < 1_000 && engine(2).role === 'follower'; tick++) network.tick([2]);
    network.deliver({ from: 2, to: 1, type: 'prepare' });
    expect(network.pending({ from: 1, to: 2 })[0]?.message).toMatchObject({
      type: 'reject',
      leader: 0,
    });
  });

  it('piggybacks its commit slot on accepts and heartbeats, so every replica learns and applies', () => {
    const { network, elect, put, violations } = multiPaxosCluster(THREE);
    elect(0);
    put(0, 'a', '1');
    put(0, 'b', '2');
    network.deliverAll();
    for (let tick = 0; tick < 3; tick++) network.tick();
    network.deliverAll();
    for (const id of THREE)
      expect(network.node(id).state.apply({ f: 'get', key: 'b' })).toMatchObject({ value: '2' });
    expect(violations).toEqual([]);
  });

  it('pipelines up to pipelineSlotsMax slots, and batches the commands that wait into one slot', () => {
    const { network, elect, put, engine } = multiPaxosCluster(THREE, 'default', {
      pipelineSlotsMax: 2,
    });
    elect(0);
    for (let index = 0; index < 6; index++) put(0, 'k', `v${index}`);
    expect(engine(0).inspect().state.inflightSlots).toEqual([1, 2]);
    network.deliverAll();
    // Slots 1 and 2 carried one command each; the four that waited went out as one batch.
    expect(engine(0).log.commitSlot).toBe(3);
    expect(engine(0).log.valueAt(3)).toHaveLength(4);
  });
});

describe('Multi-Paxos: reads', () => {
  it('a read is answered once a majority acknowledged a probe sent after it, with no slot written', () => {
    const { network, elect, put, engine, responses } = multiPaxosCluster(THREE);
    elect(0);
    put(0, 'k', 'v');
    network.deliverAll();
    const slots = engine(0).log.commitSlot;
    network.act(0, (node) => node.request({ id: 99, op: { f: 'get', key: 'k' } }));
    expect(responses.find(({ response }) => response.id === 99)).toBeUndefined();
    network.deliver({ from: 0, to: 1, type: 'accept' });
    network.deliver({ from: 1, to: 0, type: 'accepted' });
    expect(responses.find(({ response }) => response.id === 99)?.response).toMatchObject({
      outcome: 'ok',
      result: { value: 'v' },
    });
    expect(engine(0).log.commitSlot).toBe(slots);
  });

  it('a deposed leader cannot confirm a read: the majority promised a higher ballot', () => {
    const { network, elect, engine, responses } = multiPaxosCluster(THREE);
    elect(0);
    network.isolate(0);
    elect(1); // nodes 1 and 2 move on without 0
    network.heal();
    expect(engine(0).role).toBe('leader'); // it has not heard yet
    network.act(0, (node) => node.request({ id: 7, op: { f: 'get', key: 'k' } }));
    network.deliverAll();
    expect(responses.find(({ response }) => response.id === 7)).toBeUndefined();
    expect(engine(0).role).toBe('follower');
  });
});

describe('Multi-Paxos: leader change', () => {
  it('the new leader re-proposes the highest-ballot value of each slot and fills holes with no-ops (recoveryProposals)', () => {
    const at = (slot: number, round: number, value: string): AcceptedSlot<string> => ({
      slot,
      ballot: ballot(round, 0),
      value: [value],
    });
    const proposals = recoveryProposals(
      [[at(2, 1, 'a'), at(4, 1, 'c')], [at(2, 3, 'b')]],
      [],
      1,
      false,
    );
    expect(proposals).toEqual([
      { slot: 2, value: ['b'] },
      { slot: 3, value: [] },
      { slot: 4, value: ['c'] },
    ]);
  });

  it('a command chosen without the new leader survives the leader change', () => {
    const { network, elect, put, engine, violations } = multiPaxosCluster(THREE);
    elect(0);
    put(0, 'x', 'chosen');
    network.drop({ to: 2 }); // node 2 never hears of it; nodes 0 and 1 chose it
    network.deliverAll();
    network.crash(0);
    elect(2);
    expect(engine(2).role).toBe('leader');
    network.deliverAll();
    expect(network.node(2).state.apply({ f: 'get', key: 'x' })).toMatchObject({ value: 'chosen' });
    expect(violations).toEqual([]);
  });

  it('a leader that loses its quorum steps down (and cannot have commands chosen)', () => {
    const { network, elect, engine } = multiPaxosCluster(THREE);
    elect(0);
    network.isolate(0);
    for (let tick = 0; tick < 30; tick++) network.tick([0]);
    expect(engine(0).role).not.toBe('leader');
  });
});

describe('Multi-Paxos: durability, compaction, catch-up', () => {
  it('a restarted acceptor keeps its promise and accepted slots (persisted before any reply)', () => {
    const { network, elect, put, engine } = multiPaxosCluster(THREE);
    elect(0);
    put(0, 'x', '1');
    network.deliverAll();
    const promised = engine(1).acceptor.promised;
    network.crash(1);
    network.restart(1);
    expect(engine(1).acceptor.promised).toEqual(promised);
    expect(engine(1).acceptor.accepted.get(1)?.value).toHaveLength(1);
  });

  it('compacts behind a snapshot, and catches a lagging replica up with it', () => {
    const { network, elect, put, engine, violations } = multiPaxosCluster(THREE, 'default', {
      snapshotEveryEntries: 2,
    });
    elect(0);
    network.isolate(2);
    for (let index = 0; index < 10; index++) {
      put(0, `k${index}`, `${index}`);
      network.deliverAll();
    }
    expect(engine(0).log.snapshotSlot).toBeGreaterThan(0);
    network.heal();
    for (let tick = 0; tick < 10; tick++) {
      network.tick();
      network.deliverAll();
    }
    expect(network.node(2).state.apply({ f: 'get', key: 'k9' })).toMatchObject({ value: '9' });
    expect(violations).toEqual([]);
  });

  it('bounds a batch by messageBytesMax: large commands take a slot each, and at least one goes', () => {
    const { network, elect, put, engine } = multiPaxosCluster(THREE, 'default', {
      pipelineSlotsMax: 1,
      messageBytesMax: 2_500,
    });
    elect(0);
    put(0, 'first', 'x'); // holds the only pipeline slot, so the rest wait and batch
    for (let index = 0; index < 4; index++) put(0, `big${index}`, 'v'.repeat(2_000));
    for (let index = 0; index < 3; index++) put(0, `small${index}`, 's');
    network.deliverAll();
    for (let tick = 0; tick < 3; tick++) {
      network.tick();
      network.deliverAll();
    }
    // 'first'; then three slots of one large command each (two do not fit in 2,500); the last
    // large one shares its slot with the three small ones that fit after it.
    const slots = engine(0)
      .log.range(0, 100, 0)!
      .map(({ value }) => (Array.isArray(value) ? value.length : 'config'));
    expect(slots).toEqual([1, 1, 1, 1, 4]);
    expect(network.node(2).state.apply({ f: 'get', key: 'small2' })).toMatchObject({ value: 's' });
  });

  it('catches a lagging replica up in messages within messageBytesMax, a slot at least', () => {
    const bytesMax = 5_000;
    const { network, elect, put, violations } = multiPaxosCluster(THREE, 'default', {
      messageBytesMax: bytesMax,
    });
    elect(0);
    network.isolate(2);
    for (let index = 0; index < 12; index++) {
      put(0, `k${index}`, String(index).repeat(2_000));
      network.deliverAll();
    }
    network.heal();
    const catchUps: number[] = [];
    for (let tick = 0; tick < 40; tick++) {
      network.tick();
      for (const { message } of network.pending({ from: 0, to: 2 }))
        if (message.type === 'catch-up') {
          expect(message.chosen.length).toBeGreaterThan(0);
          catchUps.push(message.chosen.length);
          if (message.chosen.length > 1)
            expect(JSON.stringify(message.chosen.map((e) => e.value)).length).toBeLessThan(
              bytesMax,
            );
        }
      network.deliverAll();
    }
    expect(catchUps.length).toBeGreaterThan(1); // no single message carried the twelve slots
    expect(Math.max(...catchUps)).toBeLessThan(12);
    expect(network.node(2).state.apply({ f: 'get', key: 'k11' })).toMatchObject({
      value: '11'.repeat(2_000),
    });
    expect(violations).toEqual([]);
  });

  it('a restarted replica reloads its snapshot and re-learns the rest', () => {
    const { network, elect, put, engine, violations } = multiPaxosCluster(THREE, 'default', {
      snapshotEveryEntries: 2,
    });
    elect(0);
    for (let index = 0; index < 6; index++) put(0, `k${index}`, `${index}`);
    network.deliverAll();
    // A heartbeat carries the leader's commit slot to the followers, which apply and compact.
    for (let tick = 0; tick < 3; tick++) {
      network.tick();
      network.deliverAll();
    }
    // The compaction is written in the batch after the one that applied; drain it as a driver does.
    network.act(1, () => undefined);
    network.crash(1);
    network.restart(1);
    expect(engine(1).log.snapshotSlot).toBeGreaterThan(0); // reloaded from disk
    for (let tick = 0; tick < 3; tick++) {
      network.tick();
      network.deliverAll();
    }
    expect(network.node(1).state.apply({ f: 'get', key: 'k5' })).toMatchObject({ value: '5' });
    expect(violations).toEqual([]);
  });
});

describe('Multi-Paxos: the unsafe variants break agreement on the same schedule the default survives', () => {
  /** x is chosen by 0 and 1 in slot 1; 0 crashes; 2, which never heard of x, takes over and writes y. */
  function takeover(variant: string): string[] {
    const { network, elect, put, violations } = multiPaxosCluster(THREE, variant);
    elect(0);
    put(0, 'x', 'chosen');
    network.drop({ to: 2 });
    network.deliverAll();
    network.crash(0);
    elect(2);
    put(2, 'y', 'new');
    network.deliverAll();
    return violations;
  }

  it('default: no violation', () => {
    expect(takeover('default')).toEqual([]);
  });

  it('skip-phase1-on-takeover: the new leader overwrites the chosen slot', () => {
    expect(takeover('skip-phase1-on-takeover')[0]).toMatch(/^agreement: slot 1/);
  });

  it('noop-without-quorum: the new leader turns the chosen slot into a no-op', () => {
    expect(takeover('noop-without-quorum')[0]).toMatch(/^agreement: slot 1: .* and \[\]/);
  });
});
