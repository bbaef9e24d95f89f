import { InvalidArgumentError } from 'commander';
import { SynodError } from '../../core/errors.js';
import { parseDurationUs, parsePositiveInteger } from '../arguments.js';

/**
 * `synod bench` flags, named and defaulted as etcd's `tools/benchmark` (8-byte keys and values, one
 * client, one connection, 10,000 requests), parsed and cross-checked into one plan.
 */

export type BenchWorkload = 'put' | 'range' | 'txn';
export type Consistency = 'l' | 's';
export type TxnOp = 'put' | 'range';

export interface BenchPlan {
  readonly workload: BenchWorkload;
  readonly endpoints: readonly string[];
  readonly clients: number;
  readonly conns: number;
  /** Requests to send; Infinity when only --duration bounds the run. */
  readonly total: number;
  /** Wall-clock bound in ms; Infinity when only --total bounds the run. */
  readonly durationMs: number;
  readonly keySize: number;
  readonly valSize: number;
  readonly keySpaceSize: number;
  readonly sequentialKeys: boolean;
  /** Requests per second across all clients; 0 means as fast as they come back. */
  readonly rate: number;
  readonly consistency: Consistency;
  readonly txnOps: number;
  readonly txnOp: TxnOp;
  /** range: a fixed key (and optional range end) instead of keys drawn from the key space. */
  readonly rangeKey: string | undefined;
  readonly rangeEnd: string | undefined;
  readonly requestTimeoutMs: number;
  readonly json: boolean;
}

/** Raw option values as commander hands them over (already type-parsed per flag). */
export interface BenchOptions {
  readonly endpoints: string;
  readonly clients: number;
  readonly conns: number;
  readonly total?: number;
  readonly duration?: number;
  readonly keySize: number;
  readonly valSize: number;
  readonly keySpaceSize: number;
  readonly sequentialKeys?: boolean;
  readonly rate: number;
  readonly consistency?: Consistency;
  readonly txnOps?: number;
  readonly txnOp?: TxnOp;
  readonly requestTimeout: number;
  readonly json?: boolean;
}

export const DEFAULT_TOTAL = 10_000;
/** etcd's own limit on operations in one transaction (`--max-txn-ops`). */
export const MAX_TXN_OPS = 128;
/** 1.5 MiB: etcd's default `--max-request-bytes`; a larger request is refused by the server. */
export const MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;

export const parseCount = (name: string, min = 1, max = Number.MAX_SAFE_INTEGER) =>
  parsePositiveInteger(name, min, max);

export function parseRate(text: string): number {
  return parsePositiveInteger('--rate', 0, 10_000_000)(text);
}

/** Duration flags in ms, accepting 500ms, 10s, 2m (a bare number is seconds, as etcd's flags). */
export function parseDurationMs(name: string) {
  return (text: string): number => {
    try {
      return parseDurationUs(text) / 1000;
    } catch (error) {
      throw new InvalidArgumentError(`${name}: ${(error as Error).message}`);
    }
  };
}

export function parseConsistency(text: string): Consistency {
  if (text === 'l' || text === 's') return text;
  throw new InvalidArgumentError(
    `--consistency is "l" (linearizable) or "s" (serializable), got "${text}".`,
  );
}

export function parseTxnOp(text: string): TxnOp {
  if (text === 'put' || text === 'range') return text;
  throw new InvalidArgumentError(`--txn-op is "put" or "range", got "${text}".`);
}

const HOST_PORT = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** `host:port` items, as etcd's `--endpoints`; a scheme (`http://`) is tolerated and dropped. */
export function parseEndpoints(text: string): string[] {
  const items = text.split(',').map((item) => item.trim());
  if (items.length === 0 || items.every((item) => item === ''))
    throw usage('--endpoints is empty; give host:port[,host:port…]');
  return items.map((item) => {
    if (item === '') throw usage(`--endpoints "${text}" has an empty item`);
    const withoutScheme = item.replace(/^http:\/\//, '');
    if (/^[a-z]+:\/\//i.test(withoutScheme))
      throw usage(`--endpoints item "${item}": only plain http (no TLS) endpoints are supported`);
    const match = HOST_PORT.exec(withoutScheme.replace(/\/$/, ''));
    const port = match === null ? Number.NaN : Number(match[1]);
    if (match === null || port < 1 || port > 65535)
      throw usage(`--endpoints item "${item}" is not host:port with a port from 1 to 65535`);
    return withoutScheme.replace(/\/$/, '');
  });
}

function usage(message: string): SynodError {
  return new SynodError('bench-usage', `bench: ${message}.`);
}

/** Checks the flags against each other and returns the plan, or throws naming the conflict. */
export function benchPlan(
  workload: BenchWorkload,
  options: BenchOptions,
  rangeKey?: string,
  rangeEnd?: string,
): BenchPlan {
  const endpoints = parseEndpoints(options.endpoints);
  if (options.conns > options.clients)
    throw usage(
      `--conns ${options.conns} is more than --clients ${options.clients}; connections without a client would sit idle`,
    );
  const total =
    options.total ?? (options.duration === undefined ? DEFAULT_TOTAL : Number.POSITIVE_INFINITY);
  const durationMs = options.duration ?? Number.POSITIVE_INFINITY;
  const keyCapacity = 256 ** options.keySize;
  if (options.keySpaceSize > keyCapacity)
    throw usage(
      `--key-space-size ${options.keySpaceSize} does not fit in --key-size ${options.keySize} ` +
        `(at most ${keyCapacity} distinct keys); raise --key-size or lower --key-space-size`,
    );
  if (workload !== 'range' && (rangeKey !== undefined || rangeEnd !== undefined))
    throw usage(`${workload} takes no key argument`);
  if (workload !== 'range' && options.consistency !== undefined)
    throw usage(`--consistency applies to range only, not ${workload}`);
  if (workload !== 'txn' && (options.txnOps !== undefined || options.txnOp !== undefined))
    throw usage(`--txn-ops and --txn-op apply to txn only, not ${workload}`);
  const txnOps = options.txnOps ?? 1;
  const txnOp = options.txnOp ?? 'put';
  if (workload === 'txn' && txnOp === 'put' && txnOps > options.keySpaceSize)
    throw usage(
      `--txn-ops ${txnOps} puts need ${txnOps} distinct keys, but --key-space-size is ${options.keySpaceSize} ` +
        '(etcd refuses a txn that puts one key twice)',
    );
  const writes = workload === 'put' ? 1 : workload === 'txn' && txnOp === 'put' ? txnOps : 0;
  if (writes * (options.keySize + options.valSize) > MAX_REQUEST_BYTES)
    throw usage(
      `one request would carry ${writes * (options.keySize + options.valSize)} bytes of keys and values, ` +
        `above etcd's default --max-request-bytes (${MAX_REQUEST_BYTES})`,
    );
  if (rangeEnd !== undefined && rangeKey !== undefined && rangeEnd !== '\0' && rangeEnd <= rangeKey)
    throw usage(`the range end "${rangeEnd}" must sort after the key "${rangeKey}"`);
  return {
    workload,
    endpoints,
    clients: options.clients,
    conns: options.conns,
    total,
    durationMs,
    keySize: options.keySize,
    valSize: options.valSize,
    keySpaceSize: options.keySpaceSize,
    sequentialKeys: options.sequentialKeys === true,
    rate: options.rate,
    consistency: options.consistency ?? 'l',
    txnOps,
    txnOp,
    rangeKey,
    rangeEnd,
    requestTimeoutMs: options.requestTimeout,
    json: options.json === true,
  };
}
