import type { BenchPlan } from './bench-options.js';
import type { BenchSamples } from './bench-runner.js';

/** Throughput, latency percentiles, errors by message and a latency histogram of one run. */
export interface BenchReport {
  readonly workload: string;
  readonly endpoints: readonly string[];
  readonly clients: number;
  readonly conns: number;
  readonly requests: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly elapsedS: number;
  /** Successful requests per second of wall-clock time. */
  readonly opsPerSecond: number;
  readonly latencyMs: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly p999: number;
    readonly max: number;
    readonly min: number;
    readonly mean: number;
    readonly stddev: number;
  } | null;
  readonly errors: Readonly<Record<string, number>>;
  /** Ten equal-width buckets from the fastest to the slowest request, as etcd's benchmark prints. */
  readonly histogram: readonly { readonly upToMs: number; readonly count: number }[];
}

const HISTOGRAM_BUCKETS = 10;

/** The value at `fraction` of the sorted samples (nearest rank). */
export function percentile(sorted: Float64Array, fraction: number): number {
  const rank = Math.ceil(fraction * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] as number;
}

export function benchReport(plan: BenchPlan, samples: BenchSamples): BenchReport {
  const sorted = Float64Array.from(samples.latenciesMs).sort();
  const failed = [...samples.errors.values()].reduce((sum, count) => sum + count, 0);
  const elapsedS = samples.elapsedMs / 1000;
  let latencyMs: BenchReport['latencyMs'] = null;
  const histogram: { upToMs: number; count: number }[] = [];
  if (sorted.length > 0) {
    let sum = 0;
    for (const value of sorted) sum += value;
    const mean = sum / sorted.length;
    let squares = 0;
    for (const value of sorted) squares += (value - mean) ** 2;
    const min = sorted[0] as number;
    const max = sorted[sorted.length - 1] as number;
    latencyMs = {
      p50: percentile(sorted, 0.5),
      p90: percentile(sorted, 0.9),
      p99: percentile(sorted, 0.99),
      p999: percentile(sorted, 0.999),
      max,
      min,
      mean,
      stddev: Math.sqrt(squares / sorted.length),
    };
    const width = (max - min) / HISTOGRAM_BUCKETS;
    let at = 0;
    for (let bucket = 1; bucket <= HISTOGRAM_BUCKETS; bucket++) {
      const upToMs = bucket === HISTOGRAM_BUCKETS ? max : min + width * bucket;
      let count = 0;
      while (at < sorted.length && (sorted[at] as number) <= upToMs) {
        count++;
        at++;
      }
      histogram.push({ upToMs, count });
    }
  }
  return {
    workload: describeWorkload(plan),
    endpoints: plan.endpoints,
    clients: plan.clients,
    conns: plan.conns,
    requests: samples.succeeded + failed,
    succeeded: samples.succeeded,
    failed,
    elapsedS,
    opsPerSecond: elapsedS > 0 ? samples.succeeded / elapsedS : 0,
    latencyMs,
    errors: Object.fromEntries(samples.errors),
    histogram,
  };
}

function describeWorkload(plan: BenchPlan): string {
  switch (plan.workload) {
    case 'put':
      return 'put';
    case 'range':
      return `range (${plan.consistency === 'l' ? 'linearizable' : 'serializable'})`;
    case 'txn':
      return `txn (${plan.txnOps} ${plan.txnOp}${plan.txnOps === 1 ? '' : 's'} each)`;
  }
}

const ms = (value: number) => `${value.toFixed(value < 10 ? 3 : 1)} ms`;

export function formatBenchReport(report: BenchReport): string {
  const lines = [
    `${report.workload}: ${report.requests} requests in ${report.elapsedS.toFixed(2)} s, ` +
      `${report.clients} clients over ${report.conns} connection${report.conns === 1 ? '' : 's'} ` +
      `to ${report.endpoints.join(',')}`,
    '',
    'Summary:',
    `  Succeeded:\t${report.succeeded}`,
    `  Failed:\t${report.failed}`,
    `  Requests/sec:\t${report.opsPerSecond.toFixed(1)}`,
  ];
  const latency = report.latencyMs;
  if (latency !== null) {
    lines.push(
      `  Fastest:\t${ms(latency.min)}`,
      `  Slowest:\t${ms(latency.max)}`,
      `  Average:\t${ms(latency.mean)}`,
      `  Stddev:\t${ms(latency.stddev)}`,
      '',
      'Latency distribution:',
      `  50% in ${ms(latency.p50)}`,
      `  90% in ${ms(latency.p90)}`,
      `  99% in ${ms(latency.p99)}`,
      `  99.9% in ${ms(latency.p999)}`,
      `  100% in ${ms(latency.max)}`,
      '',
      'Response time histogram:',
    );
    const most = Math.max(...report.histogram.map((bucket) => bucket.count));
    for (const bucket of report.histogram) {
      const bar = '∎'.repeat(most === 0 ? 0 : Math.round((40 * bucket.count) / most));
      lines.push(`  ${ms(bucket.upToMs).padStart(11)} [${bucket.count}]\t|${bar}`);
    }
  }
  const errors = Object.entries(report.errors).sort((a, b) => b[1] - a[1]);
  lines.push('', errors.length === 0 ? 'Errors: none' : 'Errors:');
  for (const [message, count] of errors) lines.push(`  ${count}\t${message}`);
  return `${lines.join('\n')}\n`;
}
