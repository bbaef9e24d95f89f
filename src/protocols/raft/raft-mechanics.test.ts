// The machinery around the paper's rules: options, pipelining, batching, forwarding, CheckQuorum,
// the lease on votes, and the invariant checker catching what the unsafe variants break.
import { describe, expect, it } from 'vitest';
import { SynodError } from '../../core/errors.js';
import type { ClusterView } from '../../core/protocol.js';
import { RaftNetwork } from './harness.js';
import { RaftInvariantChecker } from './invariants.js';
import { DEFAULT_RAFT_OPTIONS, parseRaftOptions } from './options.js';
import type { RaftNode } from './raft.js';

const noPreVote = { preVote: false, checkQuorum: false };

function viewOf(network: RaftNetwork, ids: number[]): ClusterView<RaftNode<string>> {
  return { timeUs: 0, nodes: ids.map((id) => ({ id, node: network.nodes.get(id) })) };
}

describe('options', () => {
  it('defaults: 15-tick elections (150–300 ms at 10 ms ticks), heartbeats every 3 ticks, Pre-Vote and CheckQuorum on', () => {
    expect(parseRaftOptions({})).toEqual(DEFAULT_RAFT_OPTIONS);
    expect(DEFAULT_RAFT_OPTIONS).toMatchObject({
      electionTicks: 15,
      heartbeatTicks: 3,
      preVote: true,
      checkQuorum: true,
    });
  });

  it('a bad or unknown option is refused with its name and what it needs', () => {
    expect(() => parseRaftOptions({ electionTicks: 0 })).toThrow(/electionTicks.*positive integer/);
    expect(() => parseRaftOptions({ electionTick: 10 })).toThrow(
      /unknown Raft option "electionTick"/,
    );
    expect(() => parseRaftOptions({ heartbeatTicks: 20 })).toThrow(/smaller than "electionTicks"/);
    expect(() => parseRaftOptions({ readMode: 'lease', checkQuorum: false })).toThrow(SynodError);
  });

  it('an unknown variant is refused', () => {
    expect(() => new RaftNetwork(1, { variant: 'nope' })).toThrow(/unknown Raft variant/);
  });
});

describe('replication machinery', () => {
  it('pipelining: a follower in replicate state gets up to maxInflightMessages appends before any ack', () => {
    const network = new RaftNetwork(3, { options: { ...noPreVote, maxInflightMessages: 3 } });
    network.elect(1);
    network.queue = [];
    for (let index = 0; index < 5; index++) network.propose(1, `c${index}`);
    const toTwo = network.queue.filter((e) => e.to === 2 && e.message.type === 'append');
    expect(toTwo).toHaveLength(3);
    expect(network.node(1).tracker.progress.get(2)!.isPaused()).toBe(true);
    network.deliverAll();
    expect(network.commands(2)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
  });

  it('a window full of lost appends reopens on a heartbeat answer, and the follower catches up', () => {
    const network = new RaftNetwork(3, { options: { ...noPreVote, maxInflightMessages: 2 } });
    network.elect(1);
    for (let index = 0; index < 5; index++) network.propose(1, `c${index}`);
    network.take((envelope) => envelope.to === 2 && envelope.message.type === 'append');
    network.deliverAll();
    expect(network.node(1).tracker.progress.get(2)!.isPaused()).toBe(true);
    network.tick(1, network.node(1).options.heartbeatTicks);
    network.deliverAll();
    expect(network.commands(2)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
  });

  it('batching: proposals between two ready() calls leave in one append per follower, cut at maxEntriesPerMessage', () => {
    const network = new RaftNetwork(3, { options: { ...noPreVote, maxEntriesPerMessage: 4 } });
    network.elect(1);
    network.queue = [];
    const leader = network.node(1);
    for (let index = 0; index < 10; index++) leader.propose(`c${index}`);
    network.drain(1);
    const sizes = network.queue
      .filter((e) => e.to === 2 && e.message.type === 'append')
      .map((e) => (e.message.type === 'append' ? e.message.entries.length : 0));
    expect(sizes).toEqual([4, 4, 2]);
  });

  it('maxBytesPerMessage cuts an append by size, yet a single large entry still goes', () => {
    const network = new RaftNetwork(3, { options: { ...noPreVote, maxBytesPerMessage: 200 } });
    network.elect(1);
    network.queue = [];
    const leader = network.node(1);
    for (let index = 0; index < 4; index++) leader.propose('x'.repeat(60));
    leader.propose('y'.repeat(500));
    network.drain(1);
    const sizes = network.queue
      .filter((e) => e.to === 2 && e.message.type === 'append')
      .map((e) => (e.message.type === 'append' ? e.message.entries.length : 0));
    expect(sizes).toEqual([2, 2, 1]);
  });

  it('maxInflightBytes bounds the bytes in flight to a follower, and acks reopen the window', () => {
    const options = { ...noPreVote, maxEntriesPerMessage: 1, maxInflightBytes: 250 };
    const network = new RaftNetwork(3, { options });
    network.elect(1);
    network.queue = [];
    const leader = network.node(1);
    for (let index = 0; index < 6; index++) leader.propose('x'.repeat(90));
    network.drain(1);
    // Each entry is about 120 bytes of JSON: two stay under 250, the third passes it and the
    // window closes there, with 3 of maxInflightMessages' 64 slots used.
    const toTwo = network.queue.filter((e) => e.to === 2 && e.message.type === 'append');
    expect(toTwo).toHaveLength(3);
    expect(leader.tracker.progress.get(2)!.isPaused()).toBe(true);
    network.deliverAll();
    expect(network.commands(2)).toHaveLength(6);
    expect(leader.tracker.progress.get(2)!.isPaused()).toBe(false);
  });

  it('a follower forwards proposals to the leader in one message, and refuses them when it knows no leader', () => {
    const network = new RaftNetwork(3, { options: noPreVote });
    expect(network.propose(2, 'early')).toBe(false);
    network.elect(1);
    network.node(2).propose('a');
    network.node(2).propose('b');
    network.drain(2);
    const forwarded = network.queue.filter((e) => e.message.type === 'propose');
    expect(forwarded).toHaveLength(1);
    network.deliverAll();
    network.tick(1, network.node(1).options.heartbeatTicks);
    network.deliverAll();
    expect(network.commands(2)).toEqual(['a', 'b']);
  });

  it('a duplicated forward is appended once, and a copy reaching a later leader is dropped', () => {
    const network = new RaftNetwork(3, { options: noPreVote });
    network.elect(1);
    network.node(2).propose('once');
    network.drain(2);
    const [forward] = network.take((envelope) => envelope.message.type === 'propose');
    network.deliver(forward!);
    network.deliver(forward!);
    network.deliverAll();
    network.elect(3);
    network.deliver(forward!);
    network.deliverAll();
    network.tick(3, network.node(3).options.heartbeatTicks);
    network.deliverAll();
    expect(network.commands(2)).toEqual(['once']);
  });

  it('a single-node cluster elects itself on its first timeout and commits alone', () => {
    const network = new RaftNetwork(1);
    const node = network.node(1);
    network.tick(1, node.electionTimeoutTicks());
    expect(node.role).toBe('leader');
    network.propose(1, 'solo');
    expect(network.commands(1)).toEqual(['solo']);
  });

  it('inspect() shows role, term, leader, log, commit and the leader’s progress', () => {
    const network = new RaftNetwork(3, { options: noPreVote });
    network.elect(1);
    network.propose(1, 'x');
    network.deliverAll();
    const inspection = network.node(1).inspect();
    expect(inspection).toMatchObject({
      role: 'leader',
      epoch: { name: 'term', value: 1 },
      leader: 1,
    });
    expect(inspection.state).toMatchObject({
      log: [
        { index: 1, term: 1 },
        { index: 2, term: 1 },
      ],
      commitIndex: 2,
      lastApplied: 2,
      progress: { 2: { match: 2, state: 'replicate' } },
    });
  });

  it('malformed messages from the network are ignored, never thrown on', () => {
    const network = new RaftNetwork(3, { options: noPreVote });
    network.elect(1);
    const node = network.node(2);
    const garbage: unknown[] = [
      null,
      'append',
      { type: 'nonsense', term: 1 },
      { type: 'append', term: 1 },
      {
        type: 'append',
        term: 1,
        prevIndex: 1,
        prevTerm: 1,
        commit: 0,
        entries: [{ index: 5, term: 1 }],
      },
      {
        type: 'vote-request',
        term: -1,
        preVote: false,
        lastIndex: 0,
        lastTerm: 0,
        transfer: false,
      },
      { type: 'snapshot', term: 1, snapshot: { index: 'x' } },
    ];
    for (const message of garbage) expect(() => node.step(1, message as never)).not.toThrow();
    expect(node.log.lastIndex()).toBe(1);
  });

  it('ready() drains everything: a quiet node has nothing ready', () => {
    const network = new RaftNetwork(3, { options: noPreVote });
    network.elect(1);
    network.propose(1, 'x');
    network.deliverAll();
    for (const node of network.nodes.values()) expect(node.hasReady()).toBe(false);
  });
});

describe('CheckQuorum and the leader lease', () => {
  it('a leader that hears from no quorum for an election timeout steps down', () => {
    const network = new RaftNetwork(3);
    network.elect(1);
    network.isolate(1);
    network.tick(1, 2 * network.node(1).options.electionTicks);
    expect(network.node(1).role).toBe('follower');
  });

  it('a follower that heard from its leader within the election timeout ignores vote requests, even of higher terms', () => {
    const network = new RaftNetwork(3);
    network.elect(1);
    const follower = network.node(2);
    follower.step(3, {
      type: 'vote-request',
      term: 9,
      preVote: false,
      lastIndex: 9,
      lastTerm: 9,
      transfer: false,
    });
    expect(follower.term).toBe(1);
    expect(follower.leader()).toBe(1);
    // A leadership transfer overrides the lease.
    follower.step(3, {
      type: 'vote-request',
      term: 9,
      preVote: false,
      lastIndex: 9,
      lastTerm: 9,
      transfer: true,
    });
    expect(follower.term).toBe(9);
    expect(follower.vote).toBe(3);
  });
});

describe('the invariant checker', () => {
  it('catches two leaders in one term when votes are not persisted, and none in the default', () => {
    for (const [variant, broken] of [
      ['default', false],
      ['vote-not-persisted', true],
    ] as const) {
      const network = new RaftNetwork(3, { variant, options: noPreVote });
      const checker = new RaftInvariantChecker<RaftNode<string>>(
        (node) => node as RaftNode<unknown>,
      );
      network.cut(2, 3);
      network.drop('append'); // keep node 1's log as short as node 3's
      network.elect(2); // node 1 votes for 2 in term 1
      expect(checker.check(viewOf(network, [1, 2, 3]))).toBeUndefined();
      network.crash(1);
      network.restart(1);
      network.heal();
      network.cut(2, 3);
      network.elect(3); // term 1 again: node 1 votes for 3 only if it forgot its vote
      const violation = checker.check(viewOf(network, [1, 2, 3]));
      expect(violation?.invariant, variant).toBe(broken ? 'election-safety' : undefined);
    }
  });

  it('catches a committed entry overwritten in the commit-old-term variant (Figure 8)', () => {
    const network = new RaftNetwork(5, { variant: 'commit-old-term', options: noPreVote });
    const checker = new RaftInvariantChecker<RaftNode<string>>((node) => node as RaftNode<unknown>);
    const ids = [1, 2, 3, 4, 5];
    network.setLog(1, [1, 2], 3);
    network.setLog(2, [1, 2], 3);
    network.setLog(3, [1], 3);
    network.setLog(4, [1], 3);
    network.setLog(5, [1, 3], 3);
    network.partition([1, 2, 3], [4, 5]);
    network.elect(1);
    expect(checker.check(viewOf(network, ids))).toBeUndefined();
    network.crash(1);
    network.heal();
    network.elect(5);
    network.elect(5);
    network.propose(5, 'later');
    network.deliverAll();
    const violation = checker.check(viewOf(network, ids));
    expect(['state-machine-safety', 'leader-completeness']).toContain(violation?.invariant);
  });
});
