import { describe, expect, it } from 'vitest';
import { parseEndpoints } from './endpoints.js';
import { type LiveState, parseLiveState } from './live-state.js';
import { liveNodeText, liveSummaryText } from './live-text.js';
import {
  type LiveReading,
  PULSE_TRAVEL_SECONDS,
  PULSES_PER_SECOND_MAX,
  appendReading,
  liveView,
  pulsePositions,
  rateText,
  sentRates,
} from './live-view.js';

const MEMBERS = ['n1', 'n2', 'n3'].map((name, nodeId) => ({ name, id: `id${nodeId}`, nodeId }));
const ENDPOINTS = ['http://127.0.0.1:2381', 'http://127.0.0.1:22381', 'http://127.0.0.1:32381'];

/** A member's state as the server sends it (JSON), run through the page's parser. */
function state(
  nodeId: number,
  fields: {
    leader?: number | null;
    term?: number;
    timestampMs?: number;
    startedAtMs?: number;
    sent?: Record<string, Record<string, number>>;
    clusterId?: string;
  } = {},
): LiveState {
  const leader = fields.leader === undefined ? 0 : fields.leader;
  const role = leader === nodeId ? 'leader' : 'follower';
  const json = {
    version: 1,
    member: MEMBERS[nodeId],
    members: MEMBERS,
    clusterId: fields.clusterId ?? 'c1',
    engine: 'raft',
    role,
    term: fields.term ?? 2,
    leader: leader === null ? null : MEMBERS[leader],
    committedIndex: 7,
    appliedIndex: 7,
    log: { firstIndex: 1, lastIndex: 8 },
    followers: [],
    inspection: {
      role,
      epoch: { name: 'term', value: fields.term ?? 2 },
      leader,
      state: { log: [{ index: 8, term: 2 }], commitIndex: 7 },
    },
    messages: { sent: fields.sent ?? {}, received: {} },
    startedAtMs: fields.startedAtMs ?? 1000,
    timestampMs: fields.timestampMs ?? 5000,
  };
  const parsed = parseLiveState(JSON.parse(JSON.stringify(json)));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.state;
}

function ok(endpoint: string, receivedAtMs: number, liveState: LiveState): LiveReading {
  return { endpoint, receivedAtMs, state: liveState, error: undefined };
}

function failed(endpoint: string, receivedAtMs: number, error: string): LiveReading {
  return { endpoint, receivedAtMs, state: undefined, error };
}

describe('parseEndpoints', () => {
  it('accepts URLs and host:port, comma- or space-separated, as origins', () => {
    expect(
      parseEndpoints(' http://127.0.0.1:2381/, 127.0.0.1:22381  https://a.example:9 '),
    ).toEqual({
      ok: true,
      endpoints: ['http://127.0.0.1:2381', 'http://127.0.0.1:22381', 'https://a.example:9'],
    });
  });

  it.each([
    ['', 'at least one endpoint'],
    ['127.0.0.1', 'has no port'],
    ['http://127.0.0.1:2381/metrics', 'only scheme, host and port'],
    ['ftp://127.0.0.1:21', 'only http and https'],
    ['http://u:p@127.0.0.1:1', 'credentials'],
    ['http://[::1', 'is not a URL'],
    ['127.0.0.1:1,127.0.0.1:1', 'listed twice'],
    [Array.from({ length: 10 }, (_, i) => `h:${i + 1}`).join(','), 'at most 9'],
  ])('refuses %j: %s', (text, message) => {
    const result = parseEndpoints(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(message);
  });
});

describe('parseLiveState', () => {
  it('names the field that is wrong, and refuses another version', () => {
    const good = JSON.parse(JSON.stringify(state(0))) as Record<string, unknown>;
    expect(parseLiveState({ ...good, term: 'x' })).toEqual({
      ok: false,
      error: 'state.term is not a number',
    });
    expect(parseLiveState({ ...good, members: [{ name: 'n1', id: 'a', nodeId: -1 }] })).toEqual({
      ok: false,
      error: 'state.members[0].nodeId -1 is not a small member index',
    });
    const other = parseLiveState({ ...good, version: 2 });
    expect(other.ok).toBe(false);
    if (!other.ok) expect(other.error).toContain('state version 2');
    expect(parseLiveState('<html>').ok).toBe(false);
  });
});

describe('liveView', () => {
  it('places each member by its node id, whatever order the endpoints come in', () => {
    const histories = new Map([
      [ENDPOINTS[2]!, [ok(ENDPOINTS[2]!, 10, state(2))]],
      [ENDPOINTS[0]!, [ok(ENDPOINTS[0]!, 10, state(0))]],
      [ENDPOINTS[1]!, [ok(ENDPOINTS[1]!, 10, state(1))]],
    ]);
    const view = liveView([ENDPOINTS[2]!, ENDPOINTS[0]!, ENDPOINTS[1]!], histories);
    expect(view.nodes.map((node) => [node.nodeId, node.name, node.endpoint, node.status])).toEqual([
      [0, 'n1', ENDPOINTS[0], 'up'],
      [1, 'n2', ENDPOINTS[1], 'up'],
      [2, 'n3', ENDPOINTS[2], 'up'],
    ]);
    expect(view.leaders).toEqual([0]);
    expect(view.frame.nodes.map((node) => [node.id, node.name, node.status])).toEqual([
      [0, 'n1', 'up'],
      [1, 'n2', 'up'],
      [2, 'n3', 'up'],
    ]);
    expect(view.frame.nodes[1]?.inspection?.epoch).toEqual({ name: 'term', value: 2 });
    expect(view.problems).toEqual([]);
  });

  it('shows a member whose endpoint stopped answering as down, and one without endpoint as unwatched', () => {
    const histories = new Map([
      [ENDPOINTS[0]!, [ok(ENDPOINTS[0]!, 10, state(0)), failed(ENDPOINTS[0]!, 20, 'refused')]],
      [ENDPOINTS[1]!, [ok(ENDPOINTS[1]!, 20, state(1, { leader: 1, term: 3 }))]],
    ]);
    const view = liveView([ENDPOINTS[0]!, ENDPOINTS[1]!], histories);
    expect(view.nodes.map((node) => node.status)).toEqual(['down', 'up', 'unwatched']);
    expect(view.nodes[0]?.error).toBe('refused');
    expect(view.frame.nodes[0]).toMatchObject({
      status: 'crashed',
      statusText: 'down',
      inspection: undefined,
    });
    expect(view.silent).toEqual([]);
    expect(view.frame.nodes[2]).toMatchObject({ status: 'crashed', name: 'n3' });
    // The down member was the leader: it no longer counts as one.
    expect(view.leaders).toEqual([1]);
  });

  it('names the endpoints that never answered', () => {
    const histories = new Map([
      [ENDPOINTS[0]!, [ok(ENDPOINTS[0]!, 10, state(0))]],
      [ENDPOINTS[1]!, [failed(ENDPOINTS[1]!, 10, 'refused')]],
    ]);
    const view = liveView([ENDPOINTS[0]!, ENDPOINTS[1]!], histories);
    expect(view.silent).toEqual([ENDPOINTS[1]]);
    expect(view.problems[0]).toContain(`no answer yet from ${ENDPOINTS[1]}`);
    expect(view.nodes.map((node) => node.status)).toEqual(['up', 'unwatched', 'unwatched']);
  });

  it('before any answer, lists the endpoints as given, all down', () => {
    const view = liveView(
      ENDPOINTS,
      new Map([[ENDPOINTS[0]!, [failed(ENDPOINTS[0]!, 5, 'timeout')]]]),
    );
    expect(view.nodes.map((node) => [node.name, node.status, node.error])).toEqual([
      ['127.0.0.1:2381', 'down', 'timeout'],
      ['127.0.0.1:22381', 'down', undefined],
      ['127.0.0.1:32381', 'down', undefined],
    ]);
    expect(view.clusterId).toBeUndefined();
  });

  it('leaves out an endpoint of another cluster, and one that repeats a member', () => {
    const histories = new Map([
      [ENDPOINTS[0]!, [ok(ENDPOINTS[0]!, 10, state(0, { timestampMs: 9000 }))]],
      [ENDPOINTS[1]!, [ok(ENDPOINTS[1]!, 10, state(1, { clusterId: 'c2' }))]],
      [ENDPOINTS[2]!, [ok(ENDPOINTS[2]!, 10, state(0))]],
    ]);
    const view = liveView(ENDPOINTS, histories);
    expect(view.clusterId).toBe('c1');
    expect(view.problems).toEqual([
      `${ENDPOINTS[1]} belongs to cluster c2, not c1: it is left out`,
      `${ENDPOINTS[2]} and ${ENDPOINTS[0]} are both member n1`,
    ]);
    expect(view.nodes.map((node) => node.status)).toEqual(['up', 'unwatched', 'unwatched']);
  });
});

describe('rates', () => {
  it('are the sender counts over the history span, per peer and type, busiest type first', () => {
    const history = [
      ok('e', 0, state(0, { timestampMs: 1000, sent: { '1': { append: 10, heartbeat: 5 } } })),
      ok(
        'e',
        1000,
        state(0, {
          timestampMs: 3000,
          sent: { '1': { append: 30, heartbeat: 45 }, '2': { append: 4 } },
        }),
      ),
    ];
    expect(sentRates(0, history)).toEqual([
      {
        from: 0,
        to: 1,
        perSecond: 30,
        byType: [
          { type: 'heartbeat', perSecond: 20 },
          { type: 'append', perSecond: 10 },
        ],
      },
      { from: 0, to: 2, perSecond: 2, byType: [{ type: 'append', perSecond: 2 }] },
    ]);
  });

  it('start again after the process restarts, and need two readings', () => {
    const before = ok(
      'e',
      0,
      state(0, { startedAtMs: 1, timestampMs: 1000, sent: { '1': { a: 900 } } }),
    );
    const after = ok(
      'e',
      500,
      state(0, { startedAtMs: 2000, timestampMs: 2500, sent: { '1': { a: 3 } } }),
    );
    expect(sentRates(0, [before, after])).toEqual([]);
    expect(sentRates(0, [after])).toEqual([]);
    const later = ok(
      'e',
      1000,
      state(0, { startedAtMs: 2000, timestampMs: 3500, sent: { '1': { a: 13 } } }),
    );
    expect(sentRates(0, [before, after, later])[0]?.perSecond).toBe(10);
  });

  it('come only from members that are up, into the view', () => {
    const up = [
      ok(ENDPOINTS[0]!, 0, state(0, { timestampMs: 0, sent: { '1': { append: 0 } } })),
      ok(ENDPOINTS[0]!, 1000, state(0, { timestampMs: 1000, sent: { '1': { append: 5 } } })),
    ];
    const down = [...up, failed(ENDPOINTS[0]!, 2000, 'refused')];
    expect(liveView([ENDPOINTS[0]!], new Map([[ENDPOINTS[0]!, up]])).links).toHaveLength(1);
    expect(liveView([ENDPOINTS[0]!], new Map([[ENDPOINTS[0]!, down]])).links).toEqual([]);
  });

  it('history keeps the recent readings and the newest success, however old', () => {
    let history: LiveReading[] = [];
    history = appendReading(history, ok('e', 0, state(0)), 2000);
    history = appendReading(history, failed('e', 1000, 'x'), 2000);
    history = appendReading(history, failed('e', 5000, 'y'), 2000);
    expect(history.map((each) => each.receivedAtMs)).toEqual([0, 5000]);
    history = appendReading(history, ok('e', 6000, state(0)), 2000);
    history = appendReading(history, ok('e', 7000, state(0)), 2000);
    expect(history.map((each) => each.receivedAtMs)).toEqual([5000, 6000, 7000]);
  });

  it('pulses leave at the rate, capped, and cross the link in the travel time', () => {
    expect(pulsePositions(0, 3)).toEqual([]);
    expect(pulsePositions(1, 10.25)).toEqual([0.25 / PULSE_TRAVEL_SECONDS]);
    const busy = pulsePositions(1000, 10);
    expect(busy).toHaveLength(Math.ceil(PULSES_PER_SECOND_MAX * PULSE_TRAVEL_SECONDS));
    for (const position of busy) expect(position).toBeGreaterThanOrEqual(0);
    for (const position of busy) expect(position).toBeLessThan(1);
    expect(pulsePositions(2, 10).length).toBeLessThan(busy.length);
    expect(rateText(0.5)).toBe('0.5/s');
    expect(rateText(123.4)).toBe('123/s');
  });
});

describe('the live panels', () => {
  it('sum up leaders, members answering and the message rate', () => {
    const histories = new Map([
      [
        ENDPOINTS[0]!,
        [
          ok(ENDPOINTS[0]!, 0, state(0, { timestampMs: 0, term: 4, sent: { '1': { a: 0 } } })),
          ok(
            ENDPOINTS[0]!,
            1000,
            state(0, { timestampMs: 2000, term: 4, sent: { '1': { a: 50 } } }),
          ),
        ],
      ],
      [ENDPOINTS[1]!, [failed(ENDPOINTS[1]!, 1000, 'refused')]],
    ]);
    const view = liveView(ENDPOINTS.slice(0, 2), histories);
    expect(liveSummaryText(view)).toBe(
      'live raft cluster · leader n1 (term 4) · 1 of 3 members answering · 25/s peer messages',
    );
    expect(liveNodeText(view.nodes[0]!, 0)).toContain('role leader, term 4, leader n1');
    expect(liveNodeText(view.nodes[0]!, 0)).toContain('to n2: a 50');
  });

  it('say when a down member last answered and why it is down', () => {
    const histories = new Map([
      [
        ENDPOINTS[0]!,
        [
          ok(ENDPOINTS[0]!, 0, state(0, { timestampMs: 1000 })),
          failed(ENDPOINTS[0]!, 1, 'refused'),
        ],
      ],
    ]);
    const text = liveNodeText(liveView([ENDPOINTS[0]!], histories).nodes[0]!, 4000);
    expect(text).toContain('status: down');
    expect(text).toContain('last error: refused');
    expect(text).toContain('last answer 3.0 s ago:');
  });
});
