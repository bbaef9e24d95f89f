import { describe, expect, it } from 'vitest';
import { EtcdApplication } from './etcd-application.js';
import type { MembershipOp, MembershipState } from './membership.js';
import {
  applyMembershipOp,
  bootstrapMembership,
  engineTarget,
  readyToAddVoter,
  readyToPromote,
  readyToRemoveVoter,
} from './membership.js';

const THREE = bootstrapMembership([
  { nodeId: 0, memberId: '11', peerUrls: ['http://10.0.0.1:2380'] },
  { nodeId: 1, memberId: '22', peerUrls: ['http://10.0.0.2:2380'] },
  { nodeId: 2, memberId: '33', peerUrls: ['http://10.0.0.3:2380'] },
]);

function applied(state: MembershipState, op: MembershipOp): MembershipState {
  const outcome = applyMembershipOp(state, op);
  if (!outcome.ok) throw new Error(`refused: ${outcome.refusal}`);
  return outcome.state;
}

function refusal(state: MembershipState, op: MembershipOp): string | undefined {
  const outcome = applyMembershipOp(state, op);
  return outcome.ok ? undefined : outcome.refusal;
}

function add(memberId: string, url: string, isLearner = false): MembershipOp {
  return { type: 'memberAdd', request: { memberId, peerUrls: [url], isLearner } };
}

function publish(state: MembershipState, nodeId: number, name: string): MembershipState {
  return applied(state, {
    type: 'publish',
    request: { nodeId, name, clientUrls: [`http://${name}:2379`] },
  });
}

describe('the replicated membership', () => {
  it('starts from the initial members, unstarted, with node ids after theirs', () => {
    expect(THREE.members.map((m) => [m.nodeId, m.memberId, m.name])).toEqual([
      [0, '11', ''],
      [1, '22', ''],
      [2, '33', ''],
    ]);
    expect(THREE.nextNodeId).toBe(3);
  });

  it('adds a member with the next node id, and never reuses a node id', () => {
    const four = applied(THREE, add('44', 'http://10.0.0.4:2380'));
    expect(four.members.at(-1)).toMatchObject({ nodeId: 3, memberId: '44', isLearner: false });
    const removed = applied(four, { type: 'memberRemove', request: { memberId: '44' } });
    expect(removed.removed).toEqual([{ nodeId: 3, memberId: '44' }]);
    const again = applied(removed, add('55', 'http://10.0.0.4:2380'));
    expect(again.members.at(-1)?.nodeId).toBe(4);
    expect(engineTarget(again)).toEqual({ voters: [0, 1, 2, 4], learners: [] });
  });

  it("refuses with etcd's checks, in etcd's order", () => {
    expect(refusal(THREE, add('22', 'http://10.0.0.9:2380'))).toBe('member-exists');
    expect(refusal(THREE, add('99', 'http://10.0.0.2:2380'))).toBe('peer-url-exists');
    const learner = applied(THREE, add('44', 'http://10.0.0.4:2380', true));
    expect(refusal(learner, add('55', 'http://10.0.0.5:2380', true))).toBe('too-many-learners');
    expect(refusal(THREE, { type: 'memberRemove', request: { memberId: '99' } })).toBe(
      'member-not-found',
    );
    const gone = applied(THREE, { type: 'memberRemove', request: { memberId: '33' } });
    expect(refusal(gone, add('33', 'http://10.0.0.7:2380'))).toBe('member-removed');
    expect(refusal(gone, { type: 'memberRemove', request: { memberId: '33' } })).toBe(
      'member-removed',
    );
    expect(refusal(THREE, { type: 'memberPromote', request: { memberId: '11' } })).toBe(
      'not-learner',
    );
    expect(
      refusal(THREE, {
        type: 'memberUpdate',
        request: { memberId: '11', peerUrls: ['http://10.0.0.2:2380'] },
      }),
    ).toBe('peer-url-exists');
    // A removed member's late publish changes nothing.
    expect(
      refusal(gone, { type: 'publish', request: { nodeId: 2, name: 'n3', clientUrls: [] } }),
    ).toBe('member-not-found');
  });

  it('promotes a learner, updates peer URLs (its own may stay), records published names', () => {
    let state = applied(THREE, add('44', 'http://10.0.0.4:2380', true));
    expect(engineTarget(state)).toEqual({ voters: [0, 1, 2], learners: [3] });
    state = applied(state, { type: 'memberPromote', request: { memberId: '44' } });
    expect(engineTarget(state)).toEqual({ voters: [0, 1, 2, 3], learners: [] });
    state = applied(state, {
      type: 'memberUpdate',
      request: { memberId: '44', peerUrls: ['http://10.0.0.4:2380', 'http://10.0.1.4:2380'] },
    });
    expect(state.members.at(-1)?.peerUrls).toHaveLength(2);
    state = publish(state, 3, 'n4');
    expect(state.members.at(-1)).toMatchObject({ name: 'n4', clientUrls: ['http://n4:2379'] });
  });

  it("applies etcd's strict reconfiguration checks to started members", () => {
    // Nobody started: adding a voter would leave no started quorum.
    expect(readyToAddVoter(THREE)).toBe(false);
    let state = publish(publish(THREE, 0, 'n1'), 1, 'n2');
    expect(readyToAddVoter(state)).toBe(false); // 2 started of 4
    state = publish(state, 2, 'n3');
    expect(readyToAddVoter(state)).toBe(true); // 3 of 4
    // Removing a started voter from {n1, n2 started; n3 not}: {n2, n3} has 1 started of 2.
    const partly = publish(publish(THREE, 0, 'n1'), 1, 'n2');
    expect(readyToRemoveVoter(partly, '11')).toBe(false);
    expect(readyToRemoveVoter(partly, '33')).toBe(true);
    expect(readyToPromote(partly)).toBe(true); // 2 + the learner of 4
    expect(readyToPromote(publish(THREE, 0, 'n1'))).toBe(false);
    // A one-member cluster may always grow to two.
    const one = publish(
      bootstrapMembership([{ nodeId: 0, memberId: '1', peerUrls: ['u'] }]),
      0,
      'a',
    );
    expect(readyToAddVoter(one)).toBe(true);
  });

  it("is part of the application state: snapshots carry it, errors are etcd's", () => {
    const app = new EtcdApplication(THREE);
    const result = app.apply(add('44', 'http://10.0.0.4:2380', true));
    expect(result.ok).toBe(true);
    expect(app.apply(add('55', 'http://10.0.0.5:2380', true))).toEqual({
      ok: false,
      error: {
        code: 'FailedPrecondition',
        message: 'etcdserver: too many learner members in cluster',
      },
    });
    expect(app.apply({ type: 'memberRemove', request: { memberId: '99' } })).toEqual({
      ok: false,
      error: { code: 'NotFound', message: 'etcdserver: member not found' },
    });
    const copy = new EtcdApplication(THREE);
    const version = copy.membershipVersion();
    copy.restore(JSON.parse(JSON.stringify(app.snapshot())));
    expect(copy.membership()).toEqual(app.membership());
    expect(copy.membershipVersion()).not.toBe(version);
  });
});
