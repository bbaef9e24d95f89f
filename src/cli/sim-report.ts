import type { RunResult, SimConfig } from '../sim/index.js';

/** `1.5s`, `250ms`, `40us`: the shortest exact rendering, accepted back by `--duration`. */
export function formatDurationUs(us: number): string {
  if (us % 1_000_000 === 0) return `${us / 1_000_000}s`;
  if (us % 1000 === 0) return `${us / 1000}ms`;
  return `${us}us`;
}

/** Virtual time as seconds with microsecond precision: `t=1.204315s`. */
export function formatTimeUs(us: number): string {
  return `${(us / 1_000_000).toFixed(6)}s`;
}

function indent(text: string, prefix = '    '): string {
  return text
    .split('\n')
    .map((line) => `${prefix}${line}`)
    .join('\n');
}

/** A person-readable report of one run: what ran, what happened, what the checkers said. */
export function formatRunReport(config: SimConfig, result: RunResult): string {
  const s = result.stats;
  const nemesis =
    config.nemesis.generators.length > 0 ? config.nemesis.generators.join(',') : 'none';
  const lines = [
    `${result.protocol} (${result.variant}), ${config.nodes} nodes, seed ${result.seed}, ${formatDurationUs(config.durationUs)} virtual, nemesis ${nemesis}`,
    `  network: ${s.sends} sent, ${s.deliveries} delivered, ${s.drops} dropped, ${s.duplicates} duplicated; ` +
      `nodes: ${s.crashes} crashes, ${s.restarts} restarts, ${s.pauses} pauses, ${s.fsyncs} fsyncs`,
  ];
  if (s.invocations > 0) {
    lines.push(
      `  clients: ${s.invocations} operations: ${s.completionsOk} ok, ${s.completionsFail} failed, ${s.completionsInfo} indeterminate`,
    );
  }
  const violation = result.violation;
  if (violation?.kind === 'invariant') {
    lines.push(
      `  invariants: VIOLATED at t=${formatTimeUs(violation.atUs)}: ${violation.invariant ?? ''}`,
    );
    lines.push(indent(violation.message));
  } else {
    lines.push('  invariants: held after every event');
  }
  const verdict = result.linearizability;
  if (verdict !== undefined) {
    lines.push(`  linearizability: ${verdict.verdict}`);
    if (verdict.verdict !== 'linearizable' && verdict.explanation !== undefined)
      lines.push(indent(verdict.explanation));
  }
  lines.push(
    `  result: ${result.ok ? (verdict?.verdict === 'unknown' ? 'UNKNOWN (checker budget exhausted)' : 'OK') : 'VIOLATION'}`,
  );
  return lines.join('\n');
}
