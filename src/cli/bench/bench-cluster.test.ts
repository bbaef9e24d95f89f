import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ProcessCluster,
  builtCliExists,
  etcdctlExists,
} from '../../server/testing/process-cluster.js';
import { credentials } from '@grpc/grpc-js';
import { etcdServices } from '../../server/grpc/proto.js';
import { memoryIo } from '../io.js';
import { runCli } from '../program.js';
import type { BenchReport } from './bench-report.js';
import { benchKey } from './bench-runner.js';

/** `synod bench` against a real 3-process Synod cluster (TCP, fsync), short runs of each workload. */
const runnable = builtCliExists() && etcdctlExists();

interface RangeResponse {
  readonly kvs: { readonly key: Buffer; readonly value: Buffer }[];
}

let cluster: ProcessCluster;

function range(request: Record<string, unknown>): Promise<RangeResponse> {
  const client = new (etcdServices().KV)(
    cluster.endpoints.split(',')[0] as string,
    credentials.createInsecure(),
  );
  return new Promise((resolve, reject) =>
    (
      client as unknown as {
        Range: (r: unknown, cb: (e: Error | null, r: RangeResponse) => void) => void;
      }
    ).Range(request, (error, response) => {
      client.close();
      if (error === null) resolve(response);
      else reject(error);
    }),
  );
}

async function bench(...argv: string[]): Promise<BenchReport> {
  const io = memoryIo();
  await runCli(['bench', ...argv, '--json'], io);
  expect(io.stderr).toBe('');
  expect(io.exitCode).toBe(0);
  return JSON.parse(io.stdout) as BenchReport;
}

describe.runIf(runnable)('synod bench on a 3-process cluster', () => {
  beforeAll(async () => {
    cluster = await ProcessCluster.launch(3);
  }, 60_000);

  afterAll(async () => {
    await cluster?.destroy();
  }, 30_000);

  it('puts every key of a sequential key space, through every endpoint', async () => {
    const report = await bench(
      'put',
      '--endpoints',
      cluster.endpoints,
      '--clients',
      '6',
      '--conns',
      '3',
      '--total',
      '300',
      '--key-space-size',
      '120',
      '--sequential-keys',
      '--val-size',
      '256',
    );
    expect(report).toMatchObject({ requests: 300, succeeded: 300, failed: 0, errors: {} });
    expect(report.latencyMs?.max).toBeGreaterThanOrEqual(report.latencyMs?.p99 ?? Infinity);
    // The bench's 8-byte big-endian keys are 0..119: all of them exist now, and nothing else.
    const all = await range({
      key: Buffer.from([0]),
      range_end: Buffer.from([0]),
      keys_only: true,
    });
    expect(all.kvs.map((kv) => kv.key.readBigUInt64BE())).toEqual(
      Array.from({ length: 120 }, (_, index) => BigInt(index)),
    );
    const five = await range({ key: benchKey(5, 8) });
    expect(five.kvs[0]?.value.toString()).toBe('v'.repeat(256));
  });

  it('reads linearizably and serializably, and paces with --rate', async () => {
    const linearizable = await bench(
      'range',
      '--endpoints',
      cluster.endpoints,
      '--clients',
      '4',
      '--total',
      '200',
      '--key-space-size',
      '120',
    );
    expect(linearizable).toMatchObject({ workload: 'range (linearizable)', succeeded: 200 });
    const paced = await bench(
      'range',
      'greeting',
      '--endpoints',
      cluster.endpoints,
      '--consistency',
      's',
      '--clients',
      '4',
      '--total',
      '40',
      '--rate',
      '100',
    );
    expect(paced).toMatchObject({ workload: 'range (serializable)', succeeded: 40 });
    // 40 requests at 100/s cannot finish in much under 0.4 s, however fast the server is.
    expect(paced.elapsedS).toBeGreaterThanOrEqual(0.38);
  });

  it('runs txns of several puts, bounded by --duration', async () => {
    const report = await bench(
      'txn',
      '--endpoints',
      cluster.endpoints,
      '--clients',
      '4',
      '--txn-ops',
      '4',
      '--key-space-size',
      '1000',
      '--duration',
      '1s',
    );
    expect(report.workload).toBe('txn (4 puts each)');
    expect(report.succeeded).toBeGreaterThan(0);
    expect(report.failed).toBe(0);
    expect(report.elapsedS).toBeGreaterThanOrEqual(1);
  });

  it('counts failed requests by message', async () => {
    // A 1 ms deadline on a 3-member cluster that fsyncs: most, if not all, requests miss it.
    const io = memoryIo();
    await runCli(
      [
        'bench',
        'put',
        '--endpoints',
        cluster.endpoints,
        '--clients',
        '4',
        '--total',
        '40',
        '--request-timeout',
        '1ms',
        '--json',
      ],
      io,
    );
    const report = JSON.parse(io.stdout) as BenchReport;
    expect(report.failed).toBeGreaterThan(0);
    expect(report.succeeded + report.failed).toBe(40);
    expect(Object.keys(report.errors)).toEqual(['Deadline exceeded']);
  });
});
