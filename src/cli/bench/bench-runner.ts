import { randomInt } from 'node:crypto';
import type { Client, ServiceError } from '@grpc/grpc-js';
import { credentials, Metadata } from '@grpc/grpc-js';
import { SynodError } from '../../core/errors.js';
import { EXIT } from '../io.js';
import { etcdServices } from '../../server/grpc/proto.js';
import type { BenchPlan } from './bench-options.js';

/**
 * Drives one workload: `clients` concurrent request loops share `conns` gRPC connections
 * (round-robin over the endpoints, as etcd's benchmark shares its connections), each loop sending
 * its next request when the previous one answers, optionally paced by a shared --rate.
 */

export interface BenchSamples {
  /** Latency of every successful request, ms. */
  readonly latenciesMs: Float64Array;
  readonly succeeded: number;
  readonly errors: ReadonlyMap<string, number>;
  readonly elapsedMs: number;
}

type Message = Record<string, unknown>;
type Unary = (
  request: Message,
  metadata: Metadata,
  options: { deadline: number },
  callback: (error: ServiceError | null, response: Message) => void,
) => void;

/** The index as a big-endian integer in `size` bytes, as etcd's benchmark spreads its keys. */
export function benchKey(index: number, size: number): Buffer {
  const key = Buffer.alloc(size);
  let rest = index;
  for (let at = size - 1; at >= 0 && rest > 0; at--) {
    key[at] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  return key;
}

/** Builds the request for the n-th operation: which method and which message. */
function requestFactory(plan: BenchPlan): (n: number) => { method: string; request: Message } {
  const value = Buffer.alloc(plan.valSize, 'v');
  const keyIndex = plan.sequentialKeys
    ? (n: number) => n % plan.keySpaceSize
    : () => randomInt(0, plan.keySpaceSize);
  const key = (n: number) => benchKey(keyIndex(n), plan.keySize);
  const serializable = plan.consistency === 's';
  switch (plan.workload) {
    case 'put':
      return (n) => ({ method: 'Put', request: { key: key(n), value } });
    case 'range': {
      const fixed =
        plan.rangeKey === undefined
          ? undefined
          : {
              key: Buffer.from(plan.rangeKey),
              range_end: plan.rangeEnd === undefined ? undefined : Buffer.from(plan.rangeEnd),
            };
      return (n) => ({
        method: 'Range',
        request: { ...(fixed ?? { key: key(n) }), serializable },
      });
    }
    case 'txn':
      return (n) => {
        // Consecutive indexes from one start keep a txn's keys distinct (etcd refuses duplicates).
        const first = keyIndex(n);
        const success = Array.from({ length: plan.txnOps }, (_, offset) => {
          const k = benchKey((first + offset) % plan.keySpaceSize, plan.keySize);
          return plan.txnOp === 'put'
            ? { request_put: { key: k, value } }
            : { request_range: { key: k } };
        });
        return { method: 'Txn', request: { compare: [], success, failure: [] } };
      };
  }
}

/** Paces requests to `rate` per second across all loops: each takes the next free slot. */
class Pacer {
  private nextSlotMs = performance.now();
  constructor(private readonly intervalMs: number) {}

  async wait(): Promise<void> {
    const now = performance.now();
    const slot = Math.max(now, this.nextSlotMs);
    this.nextSlotMs = slot + this.intervalMs;
    if (slot > now) await new Promise((resolve) => setTimeout(resolve, slot - now));
  }
}

class LatencyLog {
  private values = new Float64Array(4096);
  length = 0;

  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }

  take(): Float64Array {
    return this.values.subarray(0, this.length);
  }
}

function errorMessage(error: ServiceError | Error): string {
  // grpc-js prefixes "<code> <STATUS>: "; etcd's benchmark reports the server's own text.
  const text =
    'details' in error && typeof error.details === 'string' && error.details !== ''
      ? error.details
      : error.message;
  // grpc-js adds timings to deadline errors and timestamps to connection errors, which would
  // split one cause into many lines.
  if (text.startsWith('Deadline exceeded')) return 'Deadline exceeded';
  return text.replace(/ \(\d{4}-\d\d-\d\dT[\d:.]+Z\)/g, '');
}

/** How long the connections get to come up before the run is abandoned. */
export const CONNECT_TIMEOUT_MS = 5000;

/** Waits until every connection is up, so a wrong endpoint fails the run with one clear error. */
async function connect(
  connections: readonly Client[],
  endpoints: readonly string[],
  timeoutMs: number,
): Promise<void> {
  await Promise.all(
    connections.map(
      (connection, index) =>
        new Promise<void>((resolve, reject) =>
          connection.waitForReady(Date.now() + timeoutMs, (error) =>
            error === undefined || error === null
              ? resolve()
              : reject(
                  new SynodError(
                    'bench-connect',
                    `bench: cannot connect to ${endpoints[index % endpoints.length]} within ${timeoutMs} ms (${error.message}).`,
                    EXIT.violation,
                  ),
                ),
          ),
        ),
    ),
  );
}

export async function runBench(
  plan: BenchPlan,
  onProgress?: (done: number) => void,
): Promise<BenchSamples> {
  const services = etcdServices();
  const connections: Client[] = Array.from(
    { length: plan.conns },
    (_, index) =>
      new services.KV(
        plan.endpoints[index % plan.endpoints.length] as string,
        credentials.createInsecure(),
        {
          // Each connection its own subchannel: grpc-js would otherwise share one TCP connection
          // between clients of the same address, and --conns would mean nothing.
          'grpc.use_local_subchannel_pool': 1,
          'grpc.max_receive_message_length': 64 * 1024 * 1024,
        },
      ),
  );
  try {
    await connect(connections, plan.endpoints, CONNECT_TIMEOUT_MS);
  } catch (error) {
    for (const connection of connections) connection.close();
    throw error;
  }
  const build = requestFactory(plan);
  const pacer = plan.rate > 0 ? new Pacer(1000 / plan.rate) : undefined;
  const latencies = new LatencyLog();
  const errors = new Map<string, number>();
  const metadata = new Metadata();
  let issued = 0;
  let finished = 0;
  const started = performance.now();
  const stopAt = started + plan.durationMs;
  const loop = async (client: Client): Promise<void> => {
    const methods = client as unknown as Record<string, Unary>;
    while (issued < plan.total) {
      if (pacer !== undefined) await pacer.wait();
      if (performance.now() >= stopAt || issued >= plan.total) return;
      const { method, request } = build(issued++);
      const sent = performance.now();
      await new Promise<void>((resolve) => {
        (methods[method] as Unary).call(
          client,
          request,
          metadata,
          { deadline: Date.now() + plan.requestTimeoutMs },
          (error) => {
            if (error === null) latencies.push(performance.now() - sent);
            else {
              const message = errorMessage(error);
              errors.set(message, (errors.get(message) ?? 0) + 1);
            }
            finished++;
            onProgress?.(finished);
            resolve();
          },
        );
      });
    }
  };
  try {
    await Promise.all(
      Array.from({ length: plan.clients }, (_, index) =>
        loop(connections[index % connections.length] as Client),
      ),
    );
  } finally {
    for (const connection of connections) connection.close();
  }
  const elapsedMs = performance.now() - started;
  return { latenciesMs: latencies.take(), succeeded: latencies.length, errors, elapsedMs };
}
