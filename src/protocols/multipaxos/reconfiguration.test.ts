import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../core/ids.js';
import { multiPaxosCluster } from './harness.js';

const THREE = [0, 1, 2];

function get(cluster: ReturnType<typeof multiPaxosCluster>, id: NodeId, key: string): unknown {
  return cluster.network.node(id).state.apply({ f: 'get', key });
}

/** Ticks everyone a few heartbeats, delivering everything each time. */
function settle(cluster: ReturnType<typeof multiPaxosCluster>, ticks = 6): void {
  for (let tick = 0; tick < ticks; tick++) {
    cluster.network.tick();
    cluster.network.deliverAll();
  }
}

describe('Multi-Paxos reconfiguration: a configuration chosen in slot s governs the slots after s', () => {
  it('a voter added in slot s counts toward the majority of slot s + 1, and only then', () => {
    const cluster = multiPaxosCluster(THREE, 'default', {}, [3]);
    const { network, elect, engine, put, reconfigure, violations } = cluster;
    elect(0);
    const configSlot = engine(0).inspect().state.nextSlot as number;
    expect(reconfigure(0, [0, 1, 2, 3])).toBeUndefined();
    network.deliverAll();
    expect(engine(0).log.configs.at(configSlot)).toEqual({ voters: [0, 1, 2], learners: [] });
    expect(engine(0).log.configs.at(configSlot + 1)).toEqual({
      voters: [0, 1, 2, 3],
      learners: [],
    });
    // Slot s + 1 needs 3 of {0,1,2,3}: node 1's accept and the leader's no longer choose it.
    network.isolate(2);
    network.isolate(3);
    put(0, 'k', 'v');
    network.deliverAll();
    expect(engine(0).log.commitSlot).toBe(configSlot);
    network.heal();
    settle(cluster);
    expect(engine(0).log.commitSlot).toBe(configSlot + 1);
    expect(get(cluster, 3, 'k')).toMatchObject({ value: 'v' });
    expect(violations).toEqual([]);
  });

  it('window α = 1: the leader proposes nothing past a configuration slot not yet chosen', () => {
    const cluster = multiPaxosCluster(THREE, 'default', {}, [3]);
    const { network, elect, engine, put, reconfigure, violations } = cluster;
    elect(0);
    reconfigure(0, [0, 1, 2], [3]);
    put(0, 'a', '1');
    put(0, 'b', '2');
    const slots = engine(0).inspect().state.inflightSlots as number[];
    expect(slots).toHaveLength(1); // the configuration slot alone
    network.deliverAll();
    // Chosen: the commands waited and now follow in the slots after it.
    expect(engine(0).log.commitSlot).toBeGreaterThan(slots[0] as number);
    expect(get(cluster, 0, 'b')).toMatchObject({ value: '2' });
    expect(violations).toEqual([]);
  });

  it('one change at a time, one voter per change; learners are free', () => {
    const { elect, reconfigure, network } = multiPaxosCluster(THREE, 'default', {}, [3, 4]);
    elect(0);
    expect(reconfigure(0, [0, 1, 2, 3, 4])).toMatch(/one voter at a time/);
    expect(reconfigure(0, [0, 1])).toBeUndefined();
    expect(reconfigure(0, [0, 1, 2])).toBe('a configuration change is in progress');
    network.deliverAll();
    expect(reconfigure(0, [0, 1, 3], [2, 4])).toBeUndefined();
    expect(reconfigure(1, [0, 1])).toBe('not the leader');
    expect(reconfigure(0, [])).toBe('a configuration change is in progress');
  });
});

describe('Multi-Paxos reconfiguration: learners and new members', () => {
  it('a learner learns every chosen value, but its accept never makes a majority', () => {
    const cluster = multiPaxosCluster(THREE, 'default', {}, [3]);
    const { network, elect, engine, put, reconfigure, violations } = cluster;
    elect(0);
    reconfigure(0, [0, 1, 2], [3]);
    network.deliverAll();
    const before = engine(0).log.commitSlot;
    network.isolate(1);
    network.isolate(2);
    put(0, 'x', '1');
    network.deliverAll(); // node 3 accepts: the leader and the learner are not 2 of {0,1,2}
    expect(engine(0).log.commitSlot).toBe(before);
    network.heal();
    settle(cluster);
    expect(get(cluster, 3, 'x')).toMatchObject({ value: '1' });
    expect(engine(3).role).toBe('follower');
    expect(violations).toEqual([]);
  });

  it('a node outside the configuration (joining, learner, removed) never starts phase 1', () => {
    const cluster = multiPaxosCluster(THREE, 'default', {}, [3, 4]);
    const { network, elect, engine, reconfigure } = cluster;
    for (let tick = 0; tick < 100; tick++) network.tick([3]);
    expect(network.sentByType.get('prepare') ?? 0).toBe(0);
    elect(0);
    reconfigure(0, [0, 1, 2], [4]);
    network.deliverAll();
    settle(cluster);
    network.crash(0);
    for (let tick = 0; tick < 100; tick++) network.tick([3, 4]);
    expect(engine(3).role).toBe('follower');
    expect(engine(4).role).toBe('follower');
  });

  it('a new member starts empty and catches up from the snapshot, which carries the configuration', () => {
    const cluster = multiPaxosCluster(THREE, 'default', { snapshotEveryEntries: 2 }, [3]);
    const { network, elect, engine, put, reconfigure, violations } = cluster;
    elect(0);
    for (let index = 0; index < 8; index++) {
      put(0, `k${index}`, `${index}`);
      network.deliverAll();
    }
    expect(reconfigure(0, [0, 1, 2, 3])).toBeUndefined();
    network.deliverAll();
    settle(cluster, 10);
    expect(get(cluster, 3, 'k7')).toMatchObject({ value: '7' });
    expect(network.sentByType.get('catch-up')).toBeGreaterThan(0);
    // Snapshots taken after the change carry it: node 3, restarted, knows it is a voter.
    for (let index = 0; index < 6; index++) {
      put(0, `m${index}`, `${index}`);
      network.deliverAll();
    }
    settle(cluster);
    network.act(3, () => undefined); // the compaction batch
    expect(engine(3).log.snapshotSlot).toBeGreaterThan(0);
    network.crash(3);
    network.restart(3); // boots with no configuration, like a joined member
    expect(engine(3).log.config).toEqual({ voters: [0, 1, 2, 3], learners: [] });
    expect(violations).toEqual([]);
  });
});

describe('Multi-Paxos reconfiguration: restarts', () => {
  it('a restarted member replays the slots it learned chosen: it knows the configuration and state past its snapshot', () => {
    const cluster = multiPaxosCluster(THREE, 'default', {}, [3]);
    const { network, elect, engine, put, reconfigure } = cluster;
    elect(0);
    reconfigure(0, [0, 1, 2, 3]);
    network.deliverAll();
    put(0, 'k', 'v');
    network.deliverAll();
    settle(cluster); // learned slots are written with the next write, or after a heartbeat interval
    network.crash(1);
    network.restart(1); // no snapshot: everything comes from its own disk, before any message
    expect(network.inFlight).toEqual([]);
    expect(engine(1).log.config).toEqual({ voters: [0, 1, 2, 3], learners: [] });
    expect(get(cluster, 1, 'k')).toMatchObject({ value: 'v' });
  });
});

describe('Multi-Paxos reconfiguration: leaders', () => {
  it('a removed leader steps down once the change removing it is chosen; the others carry on', () => {
    const cluster = multiPaxosCluster(THREE, 'default', {});
    const { network, elect, engine, put, reconfigure, violations } = cluster;
    elect(0);
    put(0, 'a', '1');
    expect(reconfigure(0, [1, 2])).toBeUndefined();
    network.deliverAll();
    expect(engine(0).role).toBe('follower');
    // The step-down heartbeat carried the commit slot: the voters left know the change is chosen.
    expect(engine(1).log.config).toEqual({ voters: [1, 2], learners: [] });
    for (let tick = 0; tick < 100; tick++) network.tick([0]);
    expect(engine(0).role).toBe('follower'); // no longer a voter: no phase 1
    elect(1);
    expect(engine(1).role).toBe('leader');
    put(1, 'b', '2');
    network.deliverAll();
    expect(get(cluster, 2, 'a')).toMatchObject({ value: '1' });
    settle(cluster);
    expect(get(cluster, 2, 'b')).toMatchObject({ value: '2' });
    expect(violations).toEqual([]);
  });

  it('a leader holds promises from a majority of a configuration it chose before it proposes past it', () => {
    const cluster = multiPaxosCluster([0, 1, 2, 3, 4], 'default', {});
    const { network, elect, engine, put, reconfigure, violations } = cluster;
    network.isolate(3);
    network.isolate(4);
    elect(0); // promises from {0,1,2}
    network.heal();
    network.isolate(1);
    network.isolate(2);
    // Remove 1: {0,2,3,4}, chosen by 0, 3 and 4 … whose promises 0 does not hold yet.
    expect(reconfigure(0, [0, 2, 3, 4])).toBeUndefined();
    network.deliverAll({ type: 'accept' });
    network.deliverAll({ type: 'accepted' });
    expect(engine(0).log.config.voters).toEqual([0, 2, 3, 4]);
    put(0, 'k', 'v');
    const prepares = network.pending({ type: 'prepare' }).map((envelope) => envelope.to);
    expect(prepares.sort()).toEqual([3, 4]);
    expect(engine(0).inspect().state.inflightSlots).toEqual([]);
    network.deliverAll();
    expect(get(cluster, 0, 'k')).toMatchObject({ value: 'v' });
    expect(violations).toEqual([]);
  });

  /**
   * Boot {0,1,2}. Leader 2 moves the cluster to {0,2,3,4} one voter at a time while node 0 hears
   * nothing, then x is chosen by {2,3,4}; 2 crashes. Node 0 knows only {0,1,2}: 0 and 1 are a
   * majority of it, and 1 (removed, but it accepted the changes up to its removal) reports them.
   * With 3 and 4 still cut off, 0 leads only if its variant's phase 1 is satisfied by {0,1}; then
   * everyone heals and a leader writes y.
   */
  function staleCandidate(variant: string) {
    const cluster = multiPaxosCluster(THREE, variant, {}, [3, 4]);
    const { network, elect, engine, put, reconfigure } = cluster;
    network.isolate(0);
    elect(2);
    for (const voters of [
      [0, 1, 2, 3],
      [0, 1, 2, 3, 4],
      [0, 2, 3, 4],
    ]) {
      expect(reconfigure(2, voters)).toBeUndefined();
      network.deliverAll();
      settle(cluster, 2);
    }
    expect(engine(2).log.config.voters).toEqual([0, 2, 3, 4]);
    network.isolate(1);
    put(2, 'x', 'chosen');
    network.deliverAll();
    expect(get(cluster, 2, 'x')).toMatchObject({ value: 'chosen' });
    network.crash(2);
    network.heal();
    network.isolate(3);
    network.isolate(4);
    const led = () => network.notes.some(({ node, note }) => node === 0 && note.kind === 'leader');
    for (let tick = 0; tick < 100 && engine(0).role !== 'leader'; tick++) {
      network.tick([0, 1]);
      network.deliverAll();
    }
    const ledWithoutThreeAndFour = led();
    if (ledWithoutThreeAndFour) put(0, 'y', 'new');
    network.heal();
    const leaders = () => [0, 3, 4].filter((id) => engine(id).role === 'leader');
    for (let tick = 0; tick < 300 && leaders().length === 0; tick++) {
      network.tick();
      network.deliverAll();
    }
    if (!ledWithoutThreeAndFour) put(leaders()[0] as number, 'y', 'new');
    settle(cluster);
    return { cluster, ledWithoutThreeAndFour };
  }

  it('phase 1 holds a majority of every configuration chosen in the slots it recovers', () => {
    const { cluster, ledWithoutThreeAndFour } = staleCandidate('default');
    // A majority of {0,1,2} is not enough: 1 reported {0,1,2,3} and the ones after it.
    expect(ledWithoutThreeAndFour).toBe(false);
    for (const id of [0, 3, 4]) {
      expect(get(cluster, id, 'x')).toMatchObject({ value: 'chosen' });
      expect(get(cluster, id, 'y')).toMatchObject({ value: 'new' });
    }
    expect(cluster.violations).toEqual([]);
  });

  it('phase1-in-one-config (unsafe): the stale majority leads and overwrites x', () => {
    const { cluster, ledWithoutThreeAndFour } = staleCandidate('phase1-in-one-config');
    expect(ledWithoutThreeAndFour).toBe(true);
    expect(cluster.violations[0]).toMatch(/^agreement: slot \d+: two values chosen/);
  });

  it('a removed leader that recovers its own removal steps down once it is chosen', () => {
    const cluster = multiPaxosCluster(THREE, 'default', {});
    const { network, elect, engine, reconfigure, violations } = cluster;
    elect(0);
    reconfigure(0, [1, 2]);
    network.deliverAll({ type: 'accept' }); // accepted everywhere, nobody hears it chosen
    network.drop({});
    network.crash(0);
    network.restart(0); // it remembers its accept of the removal, not that it was chosen
    elect(0);
    settle(cluster);
    expect(engine(0).role).toBe('follower');
    expect(engine(1).log.config.voters).toEqual([1, 2]);
    expect(violations).toEqual([]);
  });
});

describe('Multi-Paxos reconfiguration: reads', () => {
  it('a read barrier needs a majority of the configuration in force', () => {
    const cluster = multiPaxosCluster(THREE, 'default', {}, [3]);
    const { network, elect, reconfigure, responses } = cluster;
    elect(0);
    reconfigure(0, [0, 1, 2, 3]);
    network.deliverAll();
    settle(cluster, 2);
    network.act(0, (node) => node.request({ id: 99, op: { f: 'get', key: 'k' } }));
    network.deliver({ from: 0, to: 1, type: 'accept' });
    network.deliver({ from: 1, to: 0, type: 'accepted' });
    // 0 and 1: a majority of {0,1,2}, not of {0,1,2,3}.
    expect(responses.find(({ response }) => response.id === 99)).toBeUndefined();
    network.deliver({ from: 0, to: 3, type: 'accept' });
    network.deliver({ from: 3, to: 0, type: 'accepted' });
    expect(responses.find(({ response }) => response.id === 99)?.response.outcome).toBe('ok');
  });
});
