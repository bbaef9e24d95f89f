import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../core/ids.js';
import type { KvOp } from '../../core/kv.js';
import type { ClientResponse, Envelope, ProtocolNote } from '../../core/protocol.js';
import { createRng } from '../../core/rng.js';
import { ManualClock } from '../../core/clock.js';
import { fixedLeaderDefinition } from './index.js';
import type { FixedLeaderMessage, FixedLeaderRecord } from './messages.js';
import type { FixedLeaderNode } from './node.js';

/**
 * A tiny harness: nodes, their disks (every write counts as durable here), the messages they sent
 * (delivered only when a test says so), and the client answers.
 */
class Harness {
  readonly nodes = new Map<NodeId, FixedLeaderNode>();
  readonly disks = new Map<NodeId, FixedLeaderRecord[]>();
  outbox: Envelope<FixedLeaderMessage>[] = [];
  readonly responses: { node: NodeId; response: ClientResponse }[] = [];
  readonly notes: ProtocolNote[] = [];
  readonly syncFlags: boolean[] = [];
  private nextRequestId = 1;

  constructor(
    readonly size: number,
    readonly variant = 'default',
  ) {
    for (let id = 0; id < size; id++) {
      this.disks.set(id, []);
      this.boot(id);
    }
  }

  boot(id: NodeId, restored: FixedLeaderRecord[] = this.disks.get(id)!): FixedLeaderNode {
    this.disks.set(id, [...restored]);
    const node = fixedLeaderDefinition.create({
      id,
      members: Array.from({ length: this.size }, (_, index) => index),
      variant: this.variant,
      rng: createRng(id),
      clock: new ManualClock(),
      restored,
      options: {},
    });
    this.nodes.set(id, node);
    this.drain(id);
    return node;
  }

  node(id: NodeId): FixedLeaderNode {
    return this.nodes.get(id)!;
  }

  drain(id: NodeId): void {
    const node = this.node(id);
    while (node.hasReady()) {
      const batch = node.ready();
      const disk = this.disks.get(id)!;
      for (const op of batch.persist) {
        if (op.kind === 'replace') disk.length = 0;
        disk.push(...op.records);
      }
      if (batch.persist.length > 0) this.syncFlags.push(batch.sync);
      this.outbox.push(...batch.messages);
      for (const response of batch.responses) this.responses.push({ node: id, response });
      this.notes.push(...batch.notes);
    }
  }

  request(id: NodeId, op: KvOp): number {
    const requestId = this.nextRequestId++;
    this.node(id).request({ id: requestId, op });
    this.drain(id);
    return requestId;
  }

  tick(id: NodeId, times = 1): void {
    for (let count = 0; count < times; count++) {
      this.node(id).tick();
      this.drain(id);
    }
  }

  /** Takes the messages matching `filter` out of the outbox (the rest stay). */
  take(
    filter: (envelope: Envelope<FixedLeaderMessage>) => boolean,
  ): Envelope<FixedLeaderMessage>[] {
    const taken = this.outbox.filter(filter);
    this.outbox = this.outbox.filter((envelope) => !filter(envelope));
    return taken;
  }

  deliver(envelopes: readonly Envelope<FixedLeaderMessage>[]): void {
    for (const { from, to, message } of envelopes) {
      this.node(to).step(from, message);
      this.drain(to);
    }
  }

  /** Delivers everything, including what the deliveries send, except messages touching `isolated`. */
  settle(isolated: readonly NodeId[] = []): void {
    for (let round = 0; round < 100 && this.outbox.length > 0; round++)
      this.deliver(this.take((e) => !isolated.includes(e.from) && !isolated.includes(e.to)));
  }

  answer(requestId: number): ClientResponse | undefined {
    return this.responses.find((entry) => entry.response.id === requestId)?.response;
  }
}

const put = (key: string, value: string): KvOp => ({ f: 'put', key, value });

describe('fixed-leader engine', () => {
  it('node 0 leads, forever; the others follow it', () => {
    const harness = new Harness(3);
    expect(harness.node(0).inspect()).toMatchObject({ role: 'leader', leader: 0 });
    expect(harness.node(2).inspect()).toMatchObject({ role: 'follower', leader: 0 });
  });

  it('followers refuse client requests and point at node 0', () => {
    const harness = new Harness(3);
    const id = harness.request(1, put('a', '1'));
    expect(harness.answer(id)).toEqual({
      id,
      outcome: 'fail',
      error: 'not the leader',
      leaderHint: 0,
    });
  });

  it('the leader persists an entry (synced) and sends it to every follower', () => {
    const harness = new Harness(3);
    harness.outbox = [];
    harness.request(0, put('a', '1'));
    expect(harness.disks.get(0)!.filter((record) => record.kind === 'entry')).toHaveLength(1);
    expect(harness.syncFlags.every(Boolean)).toBe(true);
    expect(harness.outbox.map((envelope) => [envelope.to, envelope.message.type])).toEqual([
      [1, 'append'],
      [2, 'append'],
    ]);
  });

  it('commits once a majority holds the entry, itself included, and answers the client', () => {
    const harness = new Harness(3);
    const id = harness.request(0, put('a', '1'));
    harness.deliver(harness.take((envelope) => envelope.to === 1));
    expect(harness.answer(id)).toBeUndefined(); // the follower's ack is still on its way
    harness.deliver(harness.take((envelope) => envelope.from === 1));
    expect(harness.answer(id)).toMatchObject({
      outcome: 'ok',
      result: { f: 'put', previous: null },
    });
    expect(harness.node(0).log.commitIndex).toBe(1);
  });

  it('does not commit without a majority', () => {
    const harness = new Harness(5);
    const id = harness.request(0, put('a', '1'));
    harness.settle([2, 3, 4]);
    expect(harness.answer(id)).toBeUndefined();
    expect(harness.node(0).log.commitIndex).toBe(0);
  });

  it('a follower that missed appends is caught up by the heartbeat', () => {
    const harness = new Harness(3);
    harness.request(0, put('a', '1'));
    harness.request(0, put('b', '2'));
    harness.take((envelope) => envelope.to === 2); // lost
    harness.settle();
    expect(harness.node(2).log.lastIndex).toBe(0);
    harness.tick(0, 5); // heartbeatTicks
    harness.settle();
    expect(harness.node(2).log.lastIndex).toBe(2);
    expect(harness.node(2).log.commitIndex).toBe(2);
  });

  it('a follower whose log has a gap refuses, and the leader backs up', () => {
    const harness = new Harness(3);
    harness.request(0, put('a', '1'));
    harness.take((envelope) => envelope.to === 2); // entry 1 lost on the way to node 2
    harness.request(0, put('b', '2'));
    harness.deliver(harness.take((envelope) => envelope.to === 2)); // entry 2 alone: a gap
    const [refusal] = harness.take((envelope) => envelope.from === 2);
    expect(refusal!.message).toMatchObject({ type: 'append-reply', ok: false, lastIndex: 0 });
    harness.deliver([refusal!]);
    harness.settle();
    expect(harness.node(2).log.lastIndex).toBe(2);
  });

  it('reads wait until the leader has applied everything in its log', () => {
    const harness = new Harness(3);
    const write = harness.request(0, put('a', '1'));
    const read = harness.request(0, { f: 'get', key: 'a' });
    expect(harness.answer(read)).toBeUndefined();
    harness.settle();
    expect(harness.answer(write)?.outcome).toBe('ok');
    expect(harness.answer(read)).toMatchObject({ outcome: 'ok', result: { f: 'get', value: '1' } });
  });

  it('a restarted leader keeps its log, starts a new epoch, and commits the old entries again', () => {
    const harness = new Harness(3);
    harness.request(0, put('a', '1'));
    harness.settle();
    const restarted = harness.boot(0);
    expect(restarted.log.epoch).toBe(2);
    expect(restarted.log.lastIndex).toBe(1);
    expect(restarted.log.commitIndex).toBe(0);
    harness.settle();
    expect(restarted.log.commitIndex).toBe(1);
    const read = harness.request(0, { f: 'get', key: 'a' });
    expect(harness.answer(read)).toMatchObject({ result: { value: '1' } });
  });

  it('a follower cuts off a suffix that conflicts with the leader (another epoch at an index)', () => {
    const entry = (index: number, epoch: number): FixedLeaderRecord => ({
      kind: 'entry',
      entry: { index, epoch, command: { origin: 0, requestId: index, op: put('k', `${index}`) } },
    });
    const harness = new Harness(2);
    harness.boot(1, [entry(1, 1), entry(2, 1), entry(3, 1)]);
    harness.boot(0, [{ kind: 'epoch', epoch: 1 }, entry(1, 1)]); // epoch 2, log of one entry
    harness.request(0, put('k', 'new'));
    harness.settle();
    expect(harness.node(1).log.entryAt(2)?.epoch).toBe(2);
    expect(harness.node(1).log.lastIndex).toBe(2);
    expect(harness.notes.some((note) => note.kind === 'truncate')).toBe(true);
    expect(harness.disks.get(1)!.filter((record) => record.kind === 'entry')).toHaveLength(2);
  });

  it('ignores appends from an earlier epoch of the leader', () => {
    const harness = new Harness(2);
    harness.request(0, put('a', '1'));
    const stale = harness.take(() => true);
    harness.boot(0);
    harness.settle();
    const before = harness.node(1).log.lastIndex;
    harness.deliver(stale.filter((envelope) => envelope.to === 1));
    expect(harness.node(1).log.lastIndex).toBe(before);
    expect(harness.outbox).toEqual([]);
  });

  it('ack-before-sync: the leader sends its appends without waiting for fsync', () => {
    const harness = new Harness(3, 'ack-before-sync');
    harness.syncFlags.length = 0;
    harness.request(0, put('a', '1'));
    expect(harness.syncFlags).toEqual([false]);
  });

  it('refuses unknown options', () => {
    expect(() =>
      fixedLeaderDefinition.create({
        id: 0,
        members: [0],
        variant: 'default',
        rng: createRng(1),
        clock: new ManualClock(),
        restored: [],
        options: { heartbeatTick: 3 },
      }),
    ).toThrow(/no option "heartbeatTick"/);
  });
});

describe('fixed-leader invariants', () => {
  it('state-machine safety: an index committed with one entry never holds another', () => {
    const harness = new Harness(3);
    const checker = fixedLeaderDefinition.createInvariantChecker('default');
    const view = () => ({
      timeUs: 0,
      nodes: [0, 1, 2].map((id) => ({ id, node: harness.node(id) })),
    });
    harness.request(0, put('a', '1'));
    harness.settle();
    expect(checker.check(view())).toBeUndefined();
    // Rewrite node 2's history behind the checker's back: the same index, another epoch.
    const records = harness.disks
      .get(2)!
      .map((record) =>
        record.kind === 'entry' ? { ...record, entry: { ...record.entry, epoch: 9 } } : record,
      );
    harness.boot(2, records);
    expect(checker.check(view())).toMatchObject({ invariant: 'state-machine-safety', nodes: [2] });
  });

  it('leader completeness: a leader missing a committed entry is a violation', () => {
    const harness = new Harness(3);
    const checker = fixedLeaderDefinition.createInvariantChecker('default');
    const view = () => ({
      timeUs: 0,
      nodes: [0, 1, 2].map((id) => ({ id, node: harness.node(id) })),
    });
    harness.request(0, put('a', '1'));
    harness.settle();
    expect(checker.check(view())).toBeUndefined();
    harness.boot(0, []); // as if the leader's disk had lost everything
    expect(checker.check(view())).toMatchObject({ invariant: 'leader-completeness', nodes: [0] });
  });
});
