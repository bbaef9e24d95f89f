// Scenarios on the harness network: partitions, rejoins, snapshots, membership, transfer, reads.
import { describe, expect, it } from 'vitest';
import { RaftNetwork } from './harness.js';

const noPreVote = { preVote: false, checkQuorum: false };

/** Ticks every node and delivers until `done` holds; fails after `ticksMax` rounds. */
function runUntil(network: RaftNetwork, done: () => boolean, ticksMax = 2_000): number {
  for (let ticks = 0; ticks < ticksMax; ticks++) {
    if (done()) return ticks;
    network.tickAll();
    network.deliverAll();
  }
  throw new Error('condition not reached');
}

function runTicks(network: RaftNetwork, ticks: number): void {
  for (let tick = 0; tick < ticks; tick++) {
    network.tickAll();
    network.deliverAll();
  }
}

/** Runs until one of `among` leads and all of `among` follow it; returns its id. */
function stableLeader(network: RaftNetwork, among: number[] = [...network.nodes.keys()]): number {
  const leaderOf = () => among.find((id) => network.node(id).role === 'leader');
  runUntil(network, () => {
    const leader = leaderOf();
    return leader !== undefined && among.every((id) => network.node(id).leader() === leader);
  });
  return leaderOf()!;
}

describe('elections under partitions', () => {
  it('dueling candidates: after a partition heals, a candidate with a stale log forces a new term but cannot win', () => {
    const network = new RaftNetwork(3, { options: noPreVote });
    network.cut(1, 3);
    network.elect(1);
    expect(network.node(1).role).toBe('leader');
    network.elect(3); // node 3 cannot reach 1, and 2 refuses: 3's log lacks the leader's entry
    expect(network.node(3).role).toBe('candidate');
    network.heal();
    network.elect(3); // now its vote request in a higher term deposes node 1
    expect(network.node(1).role).toBe('follower');
    expect(network.node(3).role).toBe('follower');
    expect(network.node(1).term).toBe(network.node(3).term);
    const leader = stableLeader(network);
    expect(leader).not.toBe(3);
    network.propose(leader, 'x');
    runUntil(network, () => [1, 2, 3].every((id) => network.commands(id).length === 1));
  });

  it('a minority leader cannot commit, steps down by CheckQuorum, and its entry is replaced when the partition heals', () => {
    const network = new RaftNetwork(5, { seed: 7 });
    const old = stableLeader(network);
    const others = [1, 2, 3, 4, 5].filter((id) => id !== old);
    const minority = [old, others[0]!];
    const majority = others.slice(1);
    network.partition(minority, majority);
    expect(network.propose(old, 'lost')).toBe(true);
    network.deliverAll();
    const newLeader = stableLeader(network, majority);
    expect(majority).toContain(newLeader);
    expect(network.node(old).log.committed).toBeLessThan(network.node(old).log.lastIndex());
    runUntil(network, () => network.node(old).role !== 'leader', 100);
    network.propose(newLeader, 'kept');
    network.heal();
    runUntil(network, () => [1, 2, 3, 4, 5].every((id) => network.commands(id).includes('kept')));
    for (const id of [1, 2, 3, 4, 5]) {
      expect(network.commands(id)).toEqual(['kept']);
      expect(network.terms(id)).toEqual(network.terms(newLeader));
    }
  });

  it('with Pre-Vote, a node rejoining after a long partition does not disrupt the leader or bump the term', () => {
    const network = new RaftNetwork(3, { seed: 3 });
    const leader = stableLeader(network);
    const term = network.node(leader).term;
    const loner = [1, 2, 3].find((id) => id !== leader)!;
    network.isolate(loner);
    runTicks(network, 300);
    expect(network.node(loner).term).toBe(term); // pre-votes failed; the term never moved
    network.heal();
    runTicks(network, 50);
    expect(network.leader()!.id).toBe(leader);
    expect(network.node(leader).term).toBe(term);
  });

  it('without Pre-Vote (no-prevote-disruption variant), the rejoining node inflates the term and deposes the leader', () => {
    const network = new RaftNetwork(3, { seed: 3, variant: 'no-prevote-disruption' });
    const leader = stableLeader(network);
    const term = network.node(leader).term;
    const loner = [1, 2, 3].find((id) => id !== leader)!;
    network.isolate(loner);
    runTicks(network, 300); // 300 ticks: about 13 election timeouts of 15–29 ticks
    const inflation = network.node(loner).term - term;
    expect(inflation).toBeGreaterThanOrEqual(10);
    network.heal();
    runTicks(network, 50);
    expect(network.leader()!.term).toBeGreaterThan(term + inflation - 1);
  });
});

describe('snapshots', () => {
  it('a follower behind the compacted log catches up from a snapshot, then from the log', () => {
    const network = new RaftNetwork(3, { seed: 5 });
    const leader = stableLeader(network);
    const lagging = [1, 2, 3].find((id) => id !== leader)!;
    network.crash(lagging);
    for (let index = 0; index < 20; index++) network.propose(leader, `c${index}`);
    network.deliverAll();
    network.compact(leader);
    network.propose(leader, 'after');
    network.deliverAll();
    network.restart(lagging);
    runUntil(network, () => network.commands(lagging).includes('after'));
    expect(network.snapshotsLoaded.get(lagging)?.length).toBe(1);
    expect(network.commands(lagging)).toEqual(network.commands(leader));
  });

  it('a node restarts from its own snapshot and log', () => {
    const network = new RaftNetwork(3, { seed: 5 });
    const leader = stableLeader(network);
    for (let index = 0; index < 5; index++) network.propose(leader, `c${index}`);
    network.deliverAll();
    network.compact(leader);
    network.propose(leader, 'tail');
    network.deliverAll();
    const before = network.commands(leader);
    network.crash(leader);
    const node = network.restart(leader);
    expect(node.log.snapshotIndex).toBeGreaterThan(0);
    expect(network.commands(leader)).toEqual(before.slice(0, node.log.committed - 1));
  });
});

describe('membership changes', () => {
  it('a joint-consensus change replaces the leader: {1,2,3} to {2,3,4}', () => {
    const network = new RaftNetwork(3, { seed: 11 });
    const leader = stableLeader(network);
    network.propose(leader, 'before');
    network.deliverAll();
    const joiner = 4;
    network.addJoiner(joiner);
    const voters = [1, 2, 3, joiner].filter((id) => id !== leader);
    expect(network.node(leader).proposeConfigChange({ voters })).toBeUndefined();
    runUntil(network, () => network.node(leader).role !== 'leader');
    expect(network.node(leader).tracker.config).toMatchObject({ voters, outgoing: [] });
    const appendsFromOld = () =>
      network.sent.filter((e) => e.from === leader && e.message.type === 'append').length;
    const appendsAtStepDown = appendsFromOld();
    const next = stableLeader(network, voters);
    expect(voters).toContain(next);
    expect(appendsFromOld()).toBe(appendsAtStepDown); // the removed leader stopped replicating
    network.propose(next, 'after');
    runUntil(network, () => voters.every((id) => network.commands(id).includes('after')));
    expect(network.commands(joiner)).toEqual(['before', 'after']);
    expect(network.notes.some((note) => note.includes('configuration joint'))).toBe(true);
  });

  it('one voter at a time needs no joint configuration, and a learner replicates without voting', () => {
    const network = new RaftNetwork(3, { seed: 12 });
    const leader = stableLeader(network);
    network.addJoiner(4);
    expect(
      network.node(leader).proposeConfigChange({ voters: [1, 2, 3], learners: [4] }),
    ).toBeUndefined();
    network.propose(leader, 'x');
    runUntil(network, () => network.commands(4).includes('x'));
    expect(network.node(4).tracker.config).toMatchObject({
      voters: [1, 2, 3],
      learners: [4],
      outgoing: [],
    });
    expect(network.notes.some((note) => note.includes('joint'))).toBe(false);
    // A learner never campaigns, however long it waits.
    network.isolate(4);
    runTicks(network, 200);
    expect(network.node(4).role).toBe('follower');
    expect(network.node(leader).proposeConfigChange({ voters: [1, 2, 3, 4] })).toBeUndefined();
  });
});

describe('leadership transfer', () => {
  it('transfers leadership to a lagging node: catch it up, then TimeoutNow', () => {
    const network = new RaftNetwork(3, { seed: 13 });
    const leader = stableLeader(network);
    const target = [1, 2, 3].find((id) => id !== leader)!;
    network.cut(leader, target);
    for (let index = 0; index < 5; index++) network.propose(leader, `c${index}`);
    network.deliverAll();
    network.heal();
    const term = network.node(leader).term;
    expect(network.node(leader).transferLeadership(target)).toBe(true);
    expect(network.propose(leader, 'during')).toBe(false); // proposals wait out a transfer
    network.deliverAll();
    expect(network.node(target).role).toBe('leader');
    expect(network.node(target).term).toBe(term + 1);
    expect(network.node(leader).role).toBe('follower');
    expect(network.commands(target).slice(0, 5)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
  });
});

describe('reads', () => {
  it('ReadIndex on a new leader waits for its first commit, then confirms leadership with a quorum', () => {
    const network = new RaftNetwork(3, { options: noPreVote });
    network.drop('append-response');
    network.elect(1);
    const leader = network.node(1);
    expect(leader.role).toBe('leader');
    expect(leader.requestReadBarrier(7)).toBe(true);
    network.drainAll();
    expect(network.readStates.get(1)).toEqual([]);
    network.heal();
    network.tick(1, leader.options.heartbeatTicks); // the heartbeat makes followers resend acks
    network.deliverAll();
    expect(leader.log.committed).toBe(1);
    expect(network.readStates.get(1)).toEqual([{ readId: 7, index: 1 }]);
  });

  it('a follower read is forwarded to the leader and returns the leader commit index', () => {
    const network = new RaftNetwork(3, { options: noPreVote });
    network.elect(1);
    network.propose(1, 'x');
    network.deliverAll();
    expect(network.node(2).requestReadBarrier(9)).toBe(true);
    network.drain(2);
    network.deliverAll();
    expect(network.readStates.get(2)).toEqual([{ readId: 9, index: 2 }]);
    expect(network.sent.some((envelope) => envelope.message.type === 'read-index')).toBe(true);
  });

  it('with lease reads, a leader that heard from a quorum recently answers without a heartbeat round', () => {
    const network = new RaftNetwork(3, { options: { readMode: 'lease' } });
    const leader = stableLeader(network);
    network.tick(leader, network.node(leader).options.heartbeatTicks); // a heartbeat round dates the lease
    network.deliverAll();
    const sentBefore = network.sent.length;
    expect(network.node(leader).requestReadBarrier(5)).toBe(true);
    network.drain(leader);
    expect(network.readStates.get(leader)).toEqual([
      { readId: 5, index: network.node(leader).log.committed },
    ]);
    expect(network.sent.length).toBe(sentBefore);
    // Cut off, the lease runs out and reads need a quorum round again (which cannot complete).
    network.isolate(leader);
    for (let tick = 0; tick < 14; tick++) network.tick(leader);
    network.node(leader).requestReadBarrier(6);
    network.drain(leader);
    expect(network.readStates.get(leader)).toHaveLength(1);
  });

  it('the lease runs from when a heartbeat was sent, so a slow answer does not extend it', () => {
    const network = new RaftNetwork(3, { options: { readMode: 'lease' } });
    const leader = stableLeader(network);
    const node = network.node(leader);
    network.tick(leader, node.options.heartbeatTicks);
    const held = network.take((envelope) => envelope.message.type === 'heartbeat');
    expect(held.length).toBe(2);
    // Answers to later heartbeats are lost; the held ones arrive 13 ticks late.
    for (let tick = 0; tick < 13; tick++) {
      network.tick(leader);
      network.take((envelope) => envelope.message.type === 'heartbeat');
    }
    for (const envelope of held) network.deliver(envelope);
    network.deliverAll();
    expect(node.role).toBe('leader');
    node.requestReadBarrier(11);
    network.drain(leader);
    expect(network.readStates.get(leader)).toEqual([]); // no lease: a ReadIndex round instead
  });

  it('a node that restarts keeps its vote, but the vote-not-persisted variant forgets it', () => {
    for (const [variant, remembered] of [
      ['default', true],
      ['vote-not-persisted', false],
    ] as const) {
      const network = new RaftNetwork(3, { variant, options: noPreVote });
      network.node(1).step(2, {
        type: 'vote-request',
        term: 4,
        preVote: false,
        lastIndex: 0,
        lastTerm: 0,
        transfer: false,
      });
      network.drain(1);
      network.crash(1);
      expect(network.restart(1).vote === 2).toBe(remembered);
    }
  });
});
