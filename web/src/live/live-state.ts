import type {
  LiveMember,
  LiveState,
  PeerMessageCounts,
} from '../../../src/core/live-state-format.js';
import { LIVE_STATE_VERSION } from '../../../src/core/live-state-format.js';

export type { LiveState } from '../../../src/core/live-state-format.js';
export { LIVE_STATE_PATH } from '../../../src/core/live-state-format.js';

/**
 * Reads what a member's `GET /synod/v1/state` answers (the format is core's, shared with the
 * server): it comes over the network, so it is checked field by field here.
 */
type Json = Readonly<Record<string, unknown>>;

class LiveStateError extends Error {}

function object(value: unknown, where: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new LiveStateError(`${where} is not an object`);
  return value as Json;
}

function num(record: Json, key: string, where: string): number {
  const value = record[key];
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new LiveStateError(`${where}.${key} is not a number`);
  return value;
}

function str(record: Json, key: string, where: string): string {
  const value = record[key];
  if (typeof value !== 'string') throw new LiveStateError(`${where}.${key} is not a string`);
  return value;
}

function member(value: unknown, where: string): LiveMember {
  const record = object(value, where);
  const nodeId = num(record, 'nodeId', where);
  if (!Number.isInteger(nodeId) || nodeId < 0 || nodeId > 63)
    throw new LiveStateError(`${where}.nodeId ${nodeId} is not a small member index`);
  return { name: str(record, 'name', where), id: str(record, 'id', where), nodeId };
}

function counts(value: unknown, where: string): PeerMessageCounts {
  const byPeer = object(value, where);
  const result: Record<string, Record<string, number>> = {};
  for (const [peer, byType] of Object.entries(byPeer)) {
    const types = object(byType, `${where}.${peer}`);
    result[peer] = {};
    for (const type of Object.keys(types))
      result[peer][type] = num(types, type, `${where}.${peer}`);
  }
  return result;
}

/** The state, or an error naming the first field that is wrong. */
export function parseLiveState(
  json: unknown,
): { ok: true; state: LiveState } | { ok: false; error: string } {
  try {
    return { ok: true, state: readLiveState(json) };
  } catch (error) {
    if (error instanceof LiveStateError) return { ok: false, error: error.message };
    throw error;
  }
}

function readLiveState(json: unknown): LiveState {
  const record = object(json, 'the answer');
  const version = num(record, 'version', 'state');
  if (version !== LIVE_STATE_VERSION)
    throw new LiveStateError(
      `state version ${version}, this page reads version ${LIVE_STATE_VERSION} (another Synod version?)`,
    );
  const members = record['members'];
  if (!Array.isArray(members) || members.length === 0)
    throw new LiveStateError('state.members is not a non-empty array');
  const followers = record['followers'];
  if (!Array.isArray(followers)) throw new LiveStateError('state.followers is not an array');
  const log = object(record['log'], 'state.log');
  const inspection = object(record['inspection'], 'state.inspection');
  const messages = object(record['messages'], 'state.messages');
  const epoch = inspection['epoch'];
  const leaderInInspection = inspection['leader'];
  return {
    version,
    member: member(record['member'], 'state.member'),
    members: members.map((each, i) => member(each, `state.members[${i}]`)),
    clusterId: str(record, 'clusterId', 'state'),
    engine: str(record, 'engine', 'state'),
    role: str(record, 'role', 'state'),
    term: num(record, 'term', 'state'),
    leader: record['leader'] === null ? null : member(record['leader'], 'state.leader'),
    committedIndex: num(record, 'committedIndex', 'state'),
    appliedIndex: num(record, 'appliedIndex', 'state'),
    log: {
      firstIndex: num(log, 'firstIndex', 'state.log'),
      lastIndex: num(log, 'lastIndex', 'state.log'),
    },
    followers: followers.map((each, i) => {
      const where = `state.followers[${i}]`;
      return {
        ...member(each, where),
        match: num(object(each, where), 'match', where),
        next: num(object(each, where), 'next', where),
      };
    }),
    inspection: {
      role: str(inspection, 'role', 'state.inspection'),
      ...(epoch === undefined
        ? {}
        : {
            epoch: {
              name: str(object(epoch, 'state.inspection.epoch'), 'name', 'state.inspection.epoch'),
              value: epochValue(object(epoch, 'state.inspection.epoch')),
            },
          }),
      leader: typeof leaderInInspection === 'number' ? leaderInInspection : null,
      state: object(inspection['state'], 'state.inspection.state'),
    },
    messages: {
      sent: counts(messages['sent'], 'state.messages.sent'),
      received: counts(messages['received'], 'state.messages.received'),
    },
    startedAtMs: num(record, 'startedAtMs', 'state'),
    timestampMs: num(record, 'timestampMs', 'state'),
  };
}

function epochValue(epoch: Json): string | number {
  const value = epoch['value'];
  if (typeof value === 'string' || typeof value === 'number') return value;
  throw new LiveStateError('state.inspection.epoch.value is neither a string nor a number');
}
