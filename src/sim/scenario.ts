import { SynodError } from '../core/errors.js';
import { ManualClock } from '../core/clock.js';
import { NODE_ID_MAX, nodeIds } from '../core/ids.js';
import { SEED_MAX, createRng } from '../core/rng.js';
import {
  type ClientConfig,
  type ClockSkew,
  DEFAULT_BACKLOG_MAX,
  DEFAULT_CLIENTS,
  DEFAULT_DISK,
  DEFAULT_DURATION_US,
  DEFAULT_NEMESIS,
  DEFAULT_NETWORK,
  DEFAULT_TICK_INTERVAL_US,
  type LatencyDistribution,
  type LinkOverride,
  type NemesisConfig,
  type NetworkConfig,
  type SimConfig,
} from './config.js';
import {
  NEMESIS_NAMES,
  type NemesisAction,
  type NemesisName,
  type NodeSelector,
  type TimedAction,
  isNemesisName,
} from './nemesis.js';
import { type AnyProtocolDefinition, findProtocol, protocolNames } from './registry.js';

/** Virtual time beyond this is refused: about 11.6 days, far more than any run needs. */
const TIME_US_MAX = 1e12;
const NODES_MAX = 64;
const CLIENTS_MAX = 1_000;

type Json = Record<string, unknown>;

/**
 * Reads untrusted input (a scenario file, CLI flags, the visualizer's form) field by field. Every
 * problem is collected with its path ("network.latency.maxUs: must be >= minUs (500), got 100"), so
 * one error report lists them all.
 */
class Reader {
  readonly errors: string[] = [];

  fail(path: string, problem: string): void {
    this.errors.push(`${path}: ${problem}`);
  }

  object(value: unknown, path: string, known: readonly string[]): Json | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(path, `must be an object, got ${describe(value)}`);
      return undefined;
    }
    for (const key of Object.keys(value))
      if (!known.includes(key))
        this.fail(join(path, key), `unknown field (known: ${known.join(', ')})`);
    return value as Json;
  }

  number(
    object: Json | undefined,
    key: string,
    path: string,
    fallback: number,
    bounds: { min?: number; max?: number; integer?: boolean },
  ): number {
    const value = object?.[key];
    if (value === undefined) return fallback;
    const where = join(path, key);
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.fail(where, `must be a number, got ${describe(value)}`);
      return fallback;
    }
    if (bounds.integer === true && !Number.isSafeInteger(value)) {
      this.fail(where, `must be an integer, got ${value}`);
      return fallback;
    }
    if (bounds.min !== undefined && value < bounds.min) {
      this.fail(where, `must be >= ${bounds.min}, got ${value}`);
      return fallback;
    }
    if (bounds.max !== undefined && value > bounds.max) {
      this.fail(where, `must be <= ${bounds.max}, got ${value}`);
      return fallback;
    }
    return value;
  }

  probability(object: Json | undefined, key: string, path: string, fallback: number): number {
    return this.number(object, key, path, fallback, { min: 0, max: 1 });
  }

  timeUs(object: Json | undefined, key: string, path: string, fallback: number): number {
    return this.number(object, key, path, fallback, { min: 0, max: TIME_US_MAX, integer: true });
  }

  string(object: Json | undefined, key: string, path: string, fallback: string): string {
    const value = object?.[key];
    if (value === undefined) return fallback;
    if (typeof value === 'string') return value;
    this.fail(join(path, key), `must be a string, got ${describe(value)}`);
    return fallback;
  }

  boolean(object: Json | undefined, key: string, path: string, fallback: boolean): boolean {
    const value = object?.[key];
    if (value === undefined) return fallback;
    if (typeof value === 'boolean') return value;
    this.fail(join(path, key), `must be true or false, got ${describe(value)}`);
    return fallback;
  }

  array(value: unknown, path: string): unknown[] | undefined {
    if (value === undefined) return undefined;
    if (Array.isArray(value)) return value;
    this.fail(path, `must be an array, got ${describe(value)}`);
    return undefined;
  }

  node(value: unknown, path: string, nodes: number): number | undefined {
    if (Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) < nodes)
      return value as number;
    this.fail(path, `must be a node id in 0..${nodes - 1}, got ${describe(value)}`);
    return undefined;
  }

  nodeList(value: unknown, path: string, nodes: number): number[] | undefined {
    const list = this.array(value, path);
    if (list === undefined) {
      if (value === undefined) this.fail(path, 'is required');
      return undefined;
    }
    const ids: number[] = [];
    list.forEach((item, index) => {
      const id = this.node(item, `${path}[${index}]`, nodes);
      if (id !== undefined) ids.push(id);
    });
    return ids.length === list.length ? ids : undefined;
  }
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const TOP_LEVEL_FIELDS = [
  'protocol',
  'variant',
  'nodes',
  'seed',
  'durationUs',
  'tickIntervalUs',
  'options',
  'network',
  'disk',
  'clocks',
  'clients',
  'nemesis',
  'linearizability',
  'backlogMax',
] as const;

/**
 * Validates a (possibly partial) configuration and fills in every default: everything but the
 * protocol has one. Throws a `SynodError` with code `BAD_SCENARIO` that lists each bad field by its
 * path; never anything else for bad input.
 */
export function resolveSimConfig(
  input: unknown,
  source = 'scenario',
  /** A protocol outside the registry (benchmarks, test fixtures); `input.protocol` must name it. */
  unregistered?: AnyProtocolDefinition,
): SimConfig {
  const reader = new Reader();
  const top = reader.object(input, '', TOP_LEVEL_FIELDS);
  if (input === undefined) reader.fail('(top)', 'a configuration object is required');
  const known = unregistered === undefined ? protocolNames() : [unregistered.name];
  const protocol = readProtocol(reader, top, known);
  const definition = protocol === undefined ? undefined : (unregistered ?? findProtocol(protocol));
  const variant = reader.string(top, 'variant', '', 'default');
  if (definition !== undefined && !definition.variants.some((known) => known.name === variant))
    reader.fail(
      'variant',
      `${protocol} has no variant ${JSON.stringify(variant)} (known: ${definition.variants.map((known) => known.name).join(', ')})`,
    );
  const nodes = reader.number(top, 'nodes', '', definition?.defaultNodes ?? 3, {
    min: 1,
    max: Math.min(NODES_MAX, NODE_ID_MAX + 1),
    integer: true,
  });
  const durationUs = reader.number(top, 'durationUs', '', DEFAULT_DURATION_US, {
    min: 1,
    max: TIME_US_MAX,
    integer: true,
  });
  const options = reader.object(top?.options, 'options', Object.keys(top?.options ?? {})) ?? {};
  const config: SimConfig = {
    protocol: protocol ?? '',
    variant,
    nodes,
    seed: reader.number(top, 'seed', '', 1, { min: 0, max: SEED_MAX, integer: true }),
    durationUs,
    tickIntervalUs: reader.number(top, 'tickIntervalUs', '', DEFAULT_TICK_INTERVAL_US, {
      min: 1,
      max: TIME_US_MAX,
      integer: true,
    }),
    options,
    network: readNetwork(reader, top?.network, nodes),
    disk: {
      fsyncLatency: readLatency(
        reader,
        reader.object(top?.disk, 'disk', ['fsyncLatency'])?.fsyncLatency,
        'disk.fsyncLatency',
        DEFAULT_DISK.fsyncLatency,
      ),
    },
    clocks: readClocks(reader, top?.clocks, nodes),
    clients: readClients(reader, top?.clients),
    nemesis: readNemesis(reader, top?.nemesis, nodes),
    linearizability: readLinearizability(reader, top?.linearizability),
    backlogMax: reader.number(top, 'backlogMax', '', DEFAULT_BACKLOG_MAX, {
      min: 1,
      max: 100_000_000,
      integer: true,
    }),
  };
  if (reader.errors.length === 0 && definition !== undefined)
    checkOptions(reader, definition, config);
  if (reader.errors.length > 0)
    throw new SynodError('BAD_SCENARIO', `invalid ${source}:\n  ${reader.errors.join('\n  ')}`);
  return config;
}

/**
 * Protocols validate their own options when a node is created (a `SynodError`); creating one node
 * now, with nothing restored, reports bad options here with the rest instead of mid-run.
 */
function checkOptions(reader: Reader, definition: AnyProtocolDefinition, config: SimConfig): void {
  try {
    definition.create({
      id: 0,
      members: nodeIds(config.nodes),
      variant: config.variant,
      rng: createRng(config.seed),
      clock: new ManualClock(),
      restored: [],
      options: config.options,
    });
  } catch (error) {
    if (!(error instanceof SynodError)) throw error;
    reader.fail('options', error.message);
  }
}

/** Parses and validates a scenario file's text (JSON). */
export function parseScenario(text: string, source = 'scenario'): SimConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SynodError(
      'BAD_SCENARIO',
      `invalid ${source}: not JSON (${(error as Error).message})`,
    );
  }
  return resolveSimConfig(value, source);
}

function readProtocol(
  reader: Reader,
  top: Json | undefined,
  known: readonly string[],
): string | undefined {
  const protocol = top?.protocol;
  if (protocol === undefined) {
    reader.fail('protocol', `is required (one of ${known.join(', ')})`);
    return undefined;
  }
  if (typeof protocol !== 'string' || !known.includes(protocol)) {
    reader.fail('protocol', `must be one of ${known.join(', ')}, got ${describe(protocol)}`);
    return undefined;
  }
  return protocol;
}

function readLatency(
  reader: Reader,
  value: unknown,
  path: string,
  fallback: LatencyDistribution,
): LatencyDistribution {
  if (value === undefined) return fallback;
  const kind = (value as Json | null)?.kind;
  const fields =
    kind === 'fixed'
      ? ['kind', 'us']
      : kind === 'uniform'
        ? ['kind', 'minUs', 'maxUs']
        : ['kind', 'meanUs', 'maxUs'];
  const object = reader.object(value, path, fields);
  if (object === undefined) return fallback;
  switch (kind) {
    case 'fixed':
      return {
        kind,
        us: reader.timeUs(object, 'us', path, requiredNumber(reader, object, 'us', path)),
      };
    case 'uniform': {
      const minUs = reader.timeUs(
        object,
        'minUs',
        path,
        requiredNumber(reader, object, 'minUs', path),
      );
      const maxUs = reader.timeUs(
        object,
        'maxUs',
        path,
        requiredNumber(reader, object, 'maxUs', path),
      );
      if (maxUs < minUs)
        reader.fail(join(path, 'maxUs'), `must be >= minUs (${minUs}), got ${maxUs}`);
      return { kind, minUs, maxUs };
    }
    case 'exponential': {
      const meanUs = reader.number(
        object,
        'meanUs',
        path,
        requiredNumber(reader, object, 'meanUs', path),
        {
          min: 1,
          max: TIME_US_MAX,
        },
      );
      const maxUs = reader.timeUs(
        object,
        'maxUs',
        path,
        requiredNumber(reader, object, 'maxUs', path),
      );
      return { kind, meanUs, maxUs };
    }
    default:
      reader.fail(
        join(path, 'kind'),
        `must be "fixed", "uniform" or "exponential", got ${describe(kind)}`,
      );
      return fallback;
  }
}

function requiredNumber(reader: Reader, object: Json, key: string, path: string): number {
  if (object[key] === undefined) reader.fail(join(path, key), 'is required');
  return 0;
}

const NETWORK_FIELDS = [
  'latency',
  'links',
  'lossProbability',
  'duplicateProbability',
  'reorderProbability',
  'reorderDelayUsMax',
  'inFlightMessagesMax',
];

function readNetwork(reader: Reader, value: unknown, nodes: number): NetworkConfig {
  const object = reader.object(value, 'network', NETWORK_FIELDS);
  const d = DEFAULT_NETWORK;
  const links: LinkOverride[] = [];
  reader.array(object?.links, 'network.links')?.forEach((item, index) => {
    const path = `network.links[${index}]`;
    const link = reader.object(item, path, ['from', 'to', 'latency', 'lossProbability']);
    if (link === undefined) return;
    const from = reader.node(link.from, join(path, 'from'), nodes);
    const to = reader.node(link.to, join(path, 'to'), nodes);
    if (from === undefined || to === undefined) return;
    links.push({
      from,
      to,
      ...(link.latency === undefined
        ? {}
        : { latency: readLatency(reader, link.latency, join(path, 'latency'), d.latency) }),
      ...(link.lossProbability === undefined
        ? {}
        : { lossProbability: reader.probability(link, 'lossProbability', path, 0) }),
    });
  });
  return {
    latency: readLatency(reader, object?.latency, 'network.latency', d.latency),
    links,
    lossProbability: reader.probability(object, 'lossProbability', 'network', d.lossProbability),
    duplicateProbability: reader.probability(
      object,
      'duplicateProbability',
      'network',
      d.duplicateProbability,
    ),
    reorderProbability: reader.probability(
      object,
      'reorderProbability',
      'network',
      d.reorderProbability,
    ),
    reorderDelayUsMax: reader.timeUs(object, 'reorderDelayUsMax', 'network', d.reorderDelayUsMax),
    inFlightMessagesMax: reader.number(
      object,
      'inFlightMessagesMax',
      'network',
      d.inFlightMessagesMax,
      {
        min: 1,
        max: 10_000_000,
        integer: true,
      },
    ),
  };
}

function readClocks(reader: Reader, value: unknown, nodes: number): ClockSkew[] {
  const clocks: ClockSkew[] = [];
  reader.array(value, 'clocks')?.forEach((item, index) => {
    const path = `clocks[${index}]`;
    const object = reader.object(item, path, ['node', 'offsetUs', 'driftPpm']);
    if (object === undefined) return;
    const node = reader.node(object.node, join(path, 'node'), nodes);
    const offsetUs = reader.number(object, 'offsetUs', path, 0, {
      min: -TIME_US_MAX,
      max: TIME_US_MAX,
      integer: true,
    });
    const driftPpm = reader.number(object, 'driftPpm', path, 0, { min: -999_999, max: 1_000_000 });
    if (node !== undefined) clocks.push({ node, offsetUs, driftPpm });
  });
  return clocks;
}

const CLIENT_FIELDS = [
  'count',
  'timeoutUs',
  'thinkUsMin',
  'thinkUsMax',
  'backoffUs',
  'keys',
  'mix',
  'followLeaderHint',
  'operationsMax',
];

function readClients(reader: Reader, value: unknown): ClientConfig {
  const object = reader.object(value, 'clients', CLIENT_FIELDS);
  const d = DEFAULT_CLIENTS;
  const mixObject = reader.object(object?.mix, 'clients.mix', [
    'get',
    'put',
    'delete',
    'cas',
    'inc',
  ]);
  const weight = (key: keyof ClientConfig['mix']): number =>
    reader.number(mixObject, key, 'clients.mix', mixObject === undefined ? d.mix[key] : 0, {
      min: 0,
      max: 1e6,
    });
  const mix = {
    get: weight('get'),
    put: weight('put'),
    delete: weight('delete'),
    cas: weight('cas'),
    inc: weight('inc'),
  };
  if (mix.get + mix.put + mix.delete + mix.cas + mix.inc <= 0)
    reader.fail('clients.mix', 'needs at least one positive weight');
  const thinkUsMin = reader.timeUs(object, 'thinkUsMin', 'clients', d.thinkUsMin);
  const thinkUsMax = reader.timeUs(
    object,
    'thinkUsMax',
    'clients',
    Math.max(d.thinkUsMax, thinkUsMin),
  );
  if (thinkUsMax < thinkUsMin)
    reader.fail('clients.thinkUsMax', `must be >= thinkUsMin (${thinkUsMin}), got ${thinkUsMax}`);
  return {
    count: reader.number(object, 'count', 'clients', d.count, {
      min: 0,
      max: CLIENTS_MAX,
      integer: true,
    }),
    timeoutUs: reader.number(object, 'timeoutUs', 'clients', d.timeoutUs, {
      min: 1,
      max: TIME_US_MAX,
      integer: true,
    }),
    thinkUsMin,
    thinkUsMax,
    backoffUs: reader.number(object, 'backoffUs', 'clients', d.backoffUs, {
      min: 1,
      max: TIME_US_MAX,
      integer: true,
    }),
    keys: reader.number(object, 'keys', 'clients', d.keys, {
      min: 1,
      max: 1_000_000,
      integer: true,
    }),
    mix,
    followLeaderHint: reader.boolean(object, 'followLeaderHint', 'clients', d.followLeaderHint),
    operationsMax: reader.number(object, 'operationsMax', 'clients', d.operationsMax, {
      min: 0,
      max: 100_000_000,
      integer: true,
    }),
  };
}

const NEMESIS_FIELDS = [
  'generators',
  'schedule',
  'startUs',
  'quietUs',
  'intervalUsMin',
  'intervalUsMax',
  'faultUsMin',
  'faultUsMax',
];

function readNemesis(reader: Reader, value: unknown, nodes: number): NemesisConfig {
  const object = reader.object(value, 'nemesis', NEMESIS_FIELDS);
  const d = DEFAULT_NEMESIS;
  const generators: NemesisName[] = [];
  reader.array(object?.generators, 'nemesis.generators')?.forEach((name, index) => {
    if (isNemesisName(name)) generators.push(name);
    else
      reader.fail(
        `nemesis.generators[${index}]`,
        `unknown nemesis ${describe(name)} (known: ${NEMESIS_NAMES.join(', ')})`,
      );
  });
  const schedule: TimedAction[] = [];
  reader.array(object?.schedule, 'nemesis.schedule')?.forEach((item, index) => {
    const path = `nemesis.schedule[${index}]`;
    const timed = reader.object(item, path, ['atUs', 'action']);
    if (timed === undefined) return;
    if (timed.atUs === undefined) reader.fail(join(path, 'atUs'), 'is required');
    const atUs = reader.timeUs(timed, 'atUs', path, 0);
    const action = readAction(reader, timed.action, join(path, 'action'), nodes);
    if (action !== undefined) schedule.push({ atUs, action });
  });
  const intervalUsMin = reader.timeUs(object, 'intervalUsMin', 'nemesis', d.intervalUsMin);
  const intervalUsMax = reader.timeUs(
    object,
    'intervalUsMax',
    'nemesis',
    Math.max(d.intervalUsMax, intervalUsMin),
  );
  const faultUsMin = reader.timeUs(object, 'faultUsMin', 'nemesis', d.faultUsMin);
  const faultUsMax = reader.timeUs(
    object,
    'faultUsMax',
    'nemesis',
    Math.max(d.faultUsMax, faultUsMin),
  );
  if (intervalUsMax < intervalUsMin)
    reader.fail('nemesis.intervalUsMax', 'must be >= intervalUsMin');
  if (faultUsMax < faultUsMin) reader.fail('nemesis.faultUsMax', 'must be >= faultUsMin');
  // A zero interval with a zero fault would loop forever generating at one instant.
  if (intervalUsMin + faultUsMin < 1)
    reader.fail('nemesis.intervalUsMin', 'intervalUsMin + faultUsMin must be >= 1');
  return {
    generators,
    schedule,
    startUs: reader.timeUs(object, 'startUs', 'nemesis', d.startUs),
    quietUs: reader.timeUs(object, 'quietUs', 'nemesis', d.quietUs),
    intervalUsMin,
    intervalUsMax,
    faultUsMin,
    faultUsMax,
  };
}

const SELECTOR_NAMES = ['leader', 'all', 'crashed', 'paused', 'random-one', 'random-minority'];

function readSelector(
  reader: Reader,
  value: unknown,
  path: string,
  nodes: number,
): NodeSelector | undefined {
  if (typeof value === 'string') {
    if (SELECTOR_NAMES.includes(value)) return value as NodeSelector;
    reader.fail(
      path,
      `must be a list of node ids or one of ${SELECTOR_NAMES.join(', ')}, got ${describe(value)}`,
    );
    return undefined;
  }
  return reader.nodeList(value, path, nodes);
}

const ACTION_FIELDS: Readonly<Record<NemesisAction['type'], readonly string[]>> = {
  partition: ['sides'],
  isolate: ['nodes'],
  bridge: ['bridge', 'sides'],
  cut: ['from', 'to'],
  heal: [],
  crash: ['nodes'],
  restart: ['nodes'],
  pause: ['nodes'],
  resume: ['nodes'],
  skew: ['node', 'offsetUs', 'driftPpm'],
  storm: ['lossProbability', 'duplicateProbability', 'reorderProbability'],
  calm: [],
};

function readAction(
  reader: Reader,
  value: unknown,
  path: string,
  nodes: number,
): NemesisAction | undefined {
  const type = (value as Json | null)?.type;
  if (typeof type !== 'string' || !(type in ACTION_FIELDS)) {
    if (typeof value === 'object' && value !== null)
      reader.fail(
        join(path, 'type'),
        `must be one of ${Object.keys(ACTION_FIELDS).join(', ')}, got ${describe(type)}`,
      );
    else reader.fail(path, `must be an object, got ${describe(value)}`);
    return undefined;
  }
  const actionType = type as NemesisAction['type'];
  const object = reader.object(value, path, ['type', ...ACTION_FIELDS[actionType]])!;
  const errorsBefore = reader.errors.length;
  let action: NemesisAction | undefined;
  switch (actionType) {
    case 'partition': {
      const sides = reader.array(object.sides, join(path, 'sides'));
      if (sides === undefined) reader.fail(join(path, 'sides'), 'is required');
      const lists = (sides ?? []).map(
        (side, index) => reader.nodeList(side, `${path}.sides[${index}]`, nodes) ?? [],
      );
      action = { type: 'partition', sides: lists };
      break;
    }
    case 'bridge': {
      const bridge = reader.node(object.bridge, join(path, 'bridge'), nodes);
      const sides = reader.array(object.sides, join(path, 'sides'));
      if (sides?.length !== 2) reader.fail(join(path, 'sides'), 'must be two lists of node ids');
      const left = reader.nodeList(sides?.[0], `${path}.sides[0]`, nodes) ?? [];
      const right = reader.nodeList(sides?.[1], `${path}.sides[1]`, nodes) ?? [];
      action = { type: 'bridge', bridge: bridge ?? 0, sides: [left, right] };
      break;
    }
    case 'cut': {
      const from = reader.node(object.from, join(path, 'from'), nodes);
      const to = reader.node(object.to, join(path, 'to'), nodes);
      if (from !== undefined && from === to)
        reader.fail(join(path, 'to'), 'must differ from "from"');
      action = { type: 'cut', from: from ?? 0, to: to ?? 0 };
      break;
    }
    case 'isolate':
    case 'crash':
    case 'restart':
    case 'pause':
    case 'resume': {
      const selector = readSelector(reader, object.nodes, join(path, 'nodes'), nodes);
      action = { type: actionType, nodes: selector ?? [] };
      break;
    }
    case 'skew': {
      const node = reader.node(object.node, join(path, 'node'), nodes);
      action = {
        type: 'skew',
        node: node ?? 0,
        offsetUs: reader.number(object, 'offsetUs', path, 0, {
          min: -TIME_US_MAX,
          max: TIME_US_MAX,
          integer: true,
        }),
        driftPpm: reader.number(object, 'driftPpm', path, 0, { min: -999_999, max: 1_000_000 }),
      };
      break;
    }
    case 'storm':
      action = {
        type: 'storm',
        lossProbability: reader.probability(object, 'lossProbability', path, 0),
        duplicateProbability: reader.probability(object, 'duplicateProbability', path, 0),
        reorderProbability: reader.probability(object, 'reorderProbability', path, 0),
      };
      break;
    case 'heal':
    case 'calm':
      action = { type: actionType };
      break;
  }
  return reader.errors.length === errorsBefore ? action : undefined;
}

function readLinearizability(reader: Reader, value: unknown): SimConfig['linearizability'] {
  const object = reader.object(value, 'linearizability', ['enabled', 'maxSteps', 'timeoutMs']);
  const enabled = reader.boolean(object, 'enabled', 'linearizability', true);
  // A step budget keeps the verdict deterministic; a wall-clock budget would not.
  const maxSteps = reader.number(
    object,
    'maxSteps',
    'linearizability',
    DEFAULT_LINEARIZABILITY_STEPS,
    {
      min: 1,
      max: Number.MAX_SAFE_INTEGER,
      integer: true,
    },
  );
  const timeoutMs =
    object?.timeoutMs === undefined
      ? undefined
      : reader.number(object, 'timeoutMs', 'linearizability', 0, { min: 1, max: 86_400_000 });
  return { enabled, maxSteps, ...(timeoutMs === undefined ? {} : { timeoutMs }) };
}

export const DEFAULT_LINEARIZABILITY_STEPS = 5_000_000;
