import { afterEach, describe, expect, it, vi } from 'vitest';
import type { NodeId } from '../core/ids.js';
import type { EngineConfig } from './engines.js';
import { EtcdApplication } from './etcd-application.js';
import type { ServerLogger } from './logger.js';
import { bootstrapMembership } from './membership.js';
import { MembershipKeeper, REMOVED_MESSAGE } from './membership-keeper.js';
import type { NodeRuntime } from './node.js';
import type { ServerOp, ServerResult } from './etcd-application.js';

const silent: ServerLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silent,
};

/** A runtime as the keeper sees it: an engine configuration, a leader, peers. */
function fakeRuntime(self: NodeId) {
  const state = {
    leader: self as NodeId | undefined,
    config: { voters: [0, 1, 2], learners: [] as NodeId[], settled: true },
    applied: 10,
    committed: 10,
    peers: new Map<NodeId, string>(),
    proposed: [] as EngineConfig[],
  };
  const runtime = {
    nodeId: self,
    leader: () => state.leader,
    engine: {
      committedIndex: () => state.committed,
      membership: {
        config: () => ({
          ...state.config,
          members: [...state.config.voters, ...state.config.learners],
        }),
      },
    },
    machine: {
      get appliedIndex() {
        return state.applied;
      },
    },
    setPeer: (id: NodeId, addresses: readonly { port: number }[]) =>
      state.peers.set(id, addresses.map(({ port }) => port).join(',')),
    removePeer: (id: NodeId) => state.peers.delete(id),
    peerIds: () => [...state.peers.keys()],
    proposeEngineConfig: (target: EngineConfig) => {
      state.proposed.push(target);
      return undefined;
    },
  };
  return { state, runtime: runtime as unknown as NodeRuntime<ServerOp, ServerResult> };
}

function threeMembers(): EtcdApplication {
  return new EtcdApplication(
    bootstrapMembership(
      [0, 1, 2].map((id) => ({
        nodeId: id,
        memberId: String(100 + id),
        peerUrls: [`http://127.0.0.1:${2380 + id}`],
      })),
    ),
  );
}

afterEach(() => vi.useRealTimers());

describe('MembershipKeeper', () => {
  it('dials members, and at the leader proposes the engine configuration the membership calls for', () => {
    const app = threeMembers();
    const { state, runtime } = fakeRuntime(0);
    const keeper = new MembershipKeeper(runtime, app, 0, '64', silent, () => undefined);
    keeper.start();
    keeper.stop();
    expect([...state.peers]).toEqual([
      [1, '2381'],
      [2, '2382'],
    ]);
    expect(state.proposed).toEqual([]); // already in line

    app.apply({
      type: 'memberAdd',
      request: { memberId: '200', peerUrls: ['http://127.0.0.1:2399'], isLearner: true },
    });
    // Not before everything committed is applied: the target could undo a later change.
    state.applied = 9;
    keeper.start();
    keeper.stop();
    expect(state.proposed).toEqual([]);
    // Nor while a change is in flight, nor at a follower.
    state.applied = 10;
    state.config.settled = false;
    keeper.start();
    keeper.stop();
    state.config.settled = true;
    state.leader = 1;
    keeper.start();
    keeper.stop();
    expect(state.proposed).toEqual([]);
    state.leader = 0;
    keeper.start();
    keeper.stop();
    expect(state.proposed).toEqual([{ voters: [0, 1, 2], learners: [3] }]);
    expect(state.peers.get(3)).toBe('2399');
  });

  it('keeps talking to a removed node until the engine no longer counts it', () => {
    const app = threeMembers();
    const { state, runtime } = fakeRuntime(0);
    const keeper = new MembershipKeeper(runtime, app, 0, '64', silent, () => undefined);
    keeper.start();
    keeper.stop();
    app.apply({ type: 'memberRemove', request: { memberId: '102' } });
    keeper.start();
    keeper.stop();
    expect(keeper.refuses(2)).toBe(false);
    expect(state.peers.has(2)).toBe(true);
    expect(state.proposed).toEqual([{ voters: [0, 1], learners: [] }]);
    state.config.voters = [0, 1];
    keeper.start();
    keeper.stop();
    expect(keeper.refuses(2)).toBe(true);
    expect(keeper.refuses(1)).toBe(false);
    expect(state.peers.has(2)).toBe(false);
  });

  it("stops a removed member with etcd's line once it no longer leads", () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    const logger = { ...silent, error: (message: string) => void lines.push(message) };
    const app = threeMembers();
    const { state, runtime } = fakeRuntime(2);
    let stopped = 0;
    const keeper = new MembershipKeeper(runtime, app, 2, '66', logger, () => stopped++);
    app.apply({ type: 'memberRemove', request: { memberId: '102' } });
    keeper.start();
    // Still the leader: it first commits its own removal.
    expect(state.proposed).toEqual([{ voters: [0, 1], learners: [] }]);
    expect(lines).toEqual([]);
    state.leader = 0;
    vi.advanceTimersByTime(100);
    expect(lines).toEqual([REMOVED_MESSAGE]);
    expect(state.peers.size).toBe(0);
    vi.advanceTimersByTime(1000);
    expect(stopped).toBe(1);
  });
});
