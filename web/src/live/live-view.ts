import type { NodeId } from '../../../src/core/ids.js';
import type { Frame, NodeView } from '../model/frame.js';
import type { LiveState } from './live-state.js';

/** One poll of one endpoint: its state, or why there was none. */
export interface LiveReading {
  readonly endpoint: string;
  /** When the page got the answer (or gave up), on the page's clock. */
  readonly receivedAtMs: number;
  readonly state: LiveState | undefined;
  readonly error: string | undefined;
}

export type LiveStatus = 'up' | 'down' | 'unwatched';

export interface LiveNode {
  readonly nodeId: NodeId;
  readonly name: string;
  /** The endpoint that answers for this member; undefined when none of the given ones does. */
  readonly endpoint: string | undefined;
  readonly status: LiveStatus;
  /** Why it is down: the last poll's error. */
  readonly error: string | undefined;
  /** The newest state: current when up, the last one seen when down. */
  readonly state: LiveState | undefined;
}

/** Messages per second on one directed link, as its sender counts them. */
export interface LiveLink {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly perSecond: number;
  /** Busiest first. */
  readonly byType: readonly { readonly type: string; readonly perSecond: number }[];
}

export interface LiveView {
  readonly frame: Frame;
  readonly nodes: readonly LiveNode[];
  readonly links: readonly LiveLink[];
  /** Members that are up and lead in their own view, by node id. */
  readonly leaders: readonly NodeId[];
  readonly clusterId: string | undefined;
  /** Endpoints of another cluster, two endpoints for one member, and the like. */
  readonly problems: readonly string[];
  /** Endpoints that never answered: which member each is stays unknown. */
  readonly silent: readonly string[];
}

/**
 * Adds a reading to an endpoint's history, newest last, dropping readings older than `keepMs`
 * before it, but always keeping the newest successful one: it says which member a dead endpoint was.
 */
export function appendReading(
  history: readonly LiveReading[],
  reading: LiveReading,
  keepMs: number,
): LiveReading[] {
  const all = [...history, reading];
  const newestSuccess = all.findLast((each) => each.state !== undefined);
  return all.filter(
    (each) => each === newestSuccess || reading.receivedAtMs - each.receivedAtMs <= keepMs,
  );
}

/** Everything the live page draws, from each endpoint's recent readings. */
export function liveView(
  endpoints: readonly string[],
  histories: ReadonlyMap<string, readonly LiveReading[]>,
): LiveView {
  const problems: string[] = [];
  const newestStates = endpoints.flatMap((endpoint) => {
    const state = histories.get(endpoint)?.findLast((each) => each.state !== undefined)?.state;
    return state === undefined ? [] : [{ endpoint, state }];
  });
  // The membership comes from the freshest answer: every member knows all of them.
  const freshest = newestStates.reduce<(typeof newestStates)[number] | undefined>(
    (best, each) =>
      best === undefined || each.state.timestampMs > best.state.timestampMs ? each : best,
    undefined,
  );
  if (freshest === undefined) return unknownCluster(endpoints, histories);
  const silent = endpoints.filter(
    (endpoint) => !newestStates.some((each) => each.endpoint === endpoint),
  );
  if (silent.length > 0)
    problems.push(
      `no answer yet from ${silent.join(', ')}: down, or not a Synod member's metrics URL`,
    );
  const clusterId = freshest.state.clusterId;
  const endpointOf = new Map<NodeId, string>();
  for (const { endpoint, state } of newestStates) {
    if (state.clusterId !== clusterId) {
      problems.push(
        `${endpoint} belongs to cluster ${state.clusterId}, not ${clusterId}: it is left out`,
      );
      continue;
    }
    const already = endpointOf.get(state.member.nodeId);
    if (already !== undefined) {
      problems.push(`${endpoint} and ${already} are both member ${state.member.name}`);
      continue;
    }
    endpointOf.set(state.member.nodeId, endpoint);
  }
  const members = [...freshest.state.members].sort((a, b) => a.nodeId - b.nodeId);
  const nodes: LiveNode[] = members.map((member) => {
    const endpoint = endpointOf.get(member.nodeId);
    const history = endpoint === undefined ? [] : (histories.get(endpoint) ?? []);
    const newest = history.at(-1);
    const state = history.findLast((each) => each.state !== undefined)?.state;
    const status: LiveStatus =
      endpoint === undefined ? 'unwatched' : newest?.state !== undefined ? 'up' : 'down';
    return {
      nodeId: member.nodeId,
      name: member.name,
      endpoint,
      status,
      error: newest?.error,
      state,
    };
  });
  const links = nodes.flatMap((node) =>
    node.status === 'up' && node.endpoint !== undefined
      ? sentRates(node.nodeId, histories.get(node.endpoint) ?? [])
      : [],
  );
  return {
    frame: frameOf(nodes),
    nodes,
    links,
    leaders: nodes
      .filter((node) => node.status === 'up' && node.state?.leader?.nodeId === node.nodeId)
      .map((node) => node.nodeId),
    clusterId,
    problems,
    silent,
  };
}

/** Nobody answered yet: the endpoints as they were given, all down. */
function unknownCluster(
  endpoints: readonly string[],
  histories: ReadonlyMap<string, readonly LiveReading[]>,
): LiveView {
  const nodes: LiveNode[] = endpoints.map((endpoint, index) => ({
    nodeId: index,
    name: endpoint.replace(/^https?:\/\//, ''),
    endpoint,
    status: 'down',
    error: histories.get(endpoint)?.at(-1)?.error,
    state: undefined,
  }));
  return {
    frame: frameOf(nodes),
    nodes,
    links: [],
    leaders: [],
    clusterId: undefined,
    problems: [],
    silent: [...endpoints],
  };
}

/**
 * Rates over the history's span, from the oldest to the newest successful reading of one run of
 * the process (a restart starts the counts again from zero).
 */
export function sentRates(from: NodeId, history: readonly LiveReading[]): LiveLink[] {
  const readings = history.flatMap((each) => (each.state === undefined ? [] : [each.state]));
  const newest = readings.at(-1);
  if (newest === undefined) return [];
  const oldest = readings.find((each) => each.startedAtMs === newest.startedAtMs);
  if (oldest === undefined || newest.timestampMs <= oldest.timestampMs) return [];
  const seconds = (newest.timestampMs - oldest.timestampMs) / 1000;
  const links: LiveLink[] = [];
  for (const [peer, byTypeNow] of Object.entries(newest.messages.sent)) {
    const byTypeThen = oldest.messages.sent[peer] ?? {};
    const byType = Object.entries(byTypeNow)
      .map(([type, count]) => ({
        type,
        perSecond: Math.max(0, count - (byTypeThen[type] ?? 0)) / seconds,
      }))
      .filter((each) => each.perSecond > 0)
      .sort((a, b) => b.perSecond - a.perSecond || a.type.localeCompare(b.type));
    const perSecond = byType.reduce((sum, each) => sum + each.perSecond, 0);
    if (perSecond > 0) links.push({ from, to: Number(peer), perSecond, byType });
  }
  return links;
}

function frameOf(nodes: readonly LiveNode[]): Frame {
  const views: NodeView[] = nodes.map((node) => ({
    id: node.nodeId,
    name: node.name,
    status: node.status === 'up' ? 'up' : 'crashed',
    ...(node.status === 'up' ? {} : { statusText: node.status }),
    incarnation: 0,
    inspection: node.status === 'up' ? node.state?.inspection : undefined,
  }));
  return {
    timeUs: 0,
    step: 0,
    nodes: views,
    messages: [],
    drops: [],
    cut: [],
    storm: undefined,
    violation: undefined,
    done: false,
  };
}

/** Pulses a link shows per second at most: beyond it, the number on the link tells the rate. */
export const PULSES_PER_SECOND_MAX = 8;
/** How long one pulse takes to cross its link. */
export const PULSE_TRAVEL_SECONDS = 0.8;

/**
 * Where the pulses of a link are at `seconds` (0 at the sender, 1 at the receiver): they leave at
 * the link's rate (capped), evenly spaced. They show a rate, not individual messages.
 */
export function pulsePositions(perSecond: number, seconds: number): number[] {
  const rate = Math.min(perSecond, PULSES_PER_SECOND_MAX);
  if (!(rate > 0)) return [];
  const positions: number[] = [];
  const newest = Math.floor(seconds * rate);
  for (let k = newest; k >= 0 && seconds - k / rate < PULSE_TRAVEL_SECONDS; k--)
    positions.push((seconds - k / rate) / PULSE_TRAVEL_SECONDS);
  return positions;
}

/** "12/s", "0.5/s": what a link's label says. */
export function rateText(perSecond: number): string {
  return perSecond >= 10 ? `${Math.round(perSecond)}/s` : `${perSecond.toFixed(1)}/s`;
}
