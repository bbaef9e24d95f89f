import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../core/ids.js';
import { Simulation, resolveSimConfig } from '../../sim/index.js';
import type { TraceEvent } from '../../sim/trace.js';
import type { MultiPaxosKv } from './definition.js';

/**
 * The figures in README.md, measured in the simulator (virtual time; latency uniform 0.2–2 ms per
 * link, fsync 0–1 ms, ticks of 10 ms). They print; the assertions are loose sanity bounds.
 */

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function leaderOf(simulation: Simulation): NodeId | undefined {
  return simulation.nodes().find((node) => node.inspection?.role === 'leader')?.id;
}

interface SteadyState {
  readonly messagesPerCommand: number;
  readonly dataMessagesPerCommand: number;
  readonly slotsPerCommand: number;
  readonly latencyMedianMs: number;
}

/** Counts what the cluster sends while clients run, after the leader settled (0.5 s .. 2.5 s). */
function steadyState(
  nodes: number,
  clients: number,
  thinkUsMax: number,
  reads = false,
): SteadyState {
  const sends = new Map<string, number>();
  const invoked = new Map<number, number>();
  const latenciesUs: number[] = [];
  let measuring = false;
  const onEvent = (event: TraceEvent): void => {
    if (!measuring) return;
    if (event.type === 'send') {
      const message = event.message as { type: string; entries?: unknown[]; slots?: unknown[] };
      // An accept without entries is a heartbeat, and so is the reply to it.
      const empty = (message.entries ?? message.slots)?.length === 0;
      const type = empty ? `${message.type} (heartbeat)` : message.type;
      sends.set(type, (sends.get(type) ?? 0) + 1);
    } else if (event.type === 'invoke') invoked.set(event.request, event.t);
    else if (event.type === 'complete' && event.outcome === 'ok') {
      const start = invoked.get(event.request);
      if (start !== undefined) latenciesUs.push(event.t - start);
    }
  };
  const config = resolveSimConfig({
    protocol: 'multipaxos',
    nodes,
    seed: 7,
    durationUs: 2_500_000,
    clients: {
      count: clients,
      thinkUsMin: 0,
      thinkUsMax,
      // Writes only (every one a command in the log), or reads only (each a leader-confirmed barrier).
      mix: reads
        ? { get: 1, put: 0, delete: 0, cas: 0, inc: 0 }
        : { get: 0, put: 2, delete: 1, cas: 2, inc: 2 },
    },
    linearizability: { enabled: false },
  });
  const simulation = new Simulation(config, { onEvent });
  simulation.runUntil(500_000);
  const leader = leaderOf(simulation) as NodeId;
  const before = (simulation.node(leader) as MultiPaxosKv).multipaxos.log;
  const [slot0, applied0] = [
    before.commitSlot,
    (simulation.node(leader) as MultiPaxosKv).appliedIndex,
  ];
  measuring = true;
  simulation.runUntil(2_500_000);
  const kv = simulation.node(leader) as MultiPaxosKv;
  const commands = reads ? latenciesUs.length : kv.appliedIndex - applied0;
  const total = [...sends.values()].reduce((a, b) => a + b, 0);
  const data = (sends.get('accept') ?? 0) + (sends.get('accepted') ?? 0);
  latenciesUs.sort((a, b) => a - b);
  return {
    messagesPerCommand: total / commands,
    dataMessagesPerCommand: data / commands,
    slotsPerCommand: (kv.multipaxos.log.commitSlot - slot0) / commands,
    latencyMedianMs: percentile(latenciesUs, 50) / 1000,
  };
}

/** Crash the leader at 1 s; when does a new leader win phase 1, and when does a client operation succeed again? */
function failover(seed: number): { electedMs: number; servingMs: number } | undefined {
  const crash: { atUs?: number } = {};
  let servingUs: number | undefined;
  const onEvent = (event: TraceEvent): void => {
    if (
      crash.atUs !== undefined &&
      servingUs === undefined &&
      event.type === 'complete' &&
      event.outcome === 'ok'
    )
      servingUs = event.t;
  };
  const config = resolveSimConfig({
    protocol: 'multipaxos',
    seed,
    durationUs: 3_000_000,
    linearizability: { enabled: false },
  });
  const simulation = new Simulation(config, { onEvent });
  simulation.runUntil(1_000_000);
  const old = leaderOf(simulation);
  if (old === undefined) return undefined;
  simulation.inject({ type: 'crash', nodes: [old] });
  const crashedAtUs = simulation.nowUs;
  crash.atUs = crashedAtUs;
  let electedUs: number | undefined;
  while ((electedUs === undefined || servingUs === undefined) && simulation.step()) {
    const leader = leaderOf(simulation);
    if (electedUs === undefined && leader !== undefined && leader !== old)
      electedUs = simulation.nowUs;
  }
  if (electedUs === undefined || servingUs === undefined) return undefined;
  return {
    electedMs: (electedUs - crashedAtUs) / 1000,
    servingMs: (servingUs - crashedAtUs) / 1000,
  };
}

describe('Multi-Paxos figures (printed for README.md)', () => {
  it('steady state: one accept round trip per slot; messages per command fall with batching', () => {
    const rows = [
      ['3 nodes, 1 client', steadyState(3, 1, 20_000)],
      ['3 nodes, 5 clients', steadyState(3, 5, 20_000)],
      ['5 nodes, 5 clients', steadyState(5, 5, 20_000)],
      ['3 nodes, 50 clients, no think time', steadyState(3, 50, 0)],
    ] as const;
    for (const [name, row] of rows)
      console.log(
        `${name}: ${row.messagesPerCommand.toFixed(2)} messages/command (${row.dataMessagesPerCommand.toFixed(2)} accept + accepted carrying slots, the rest heartbeats), ${row.slotsPerCommand.toFixed(3)} accept round trips (slots)/command, median latency ${row.latencyMedianMs.toFixed(2)} ms`,
      );
    for (const [, row] of rows) expect(row.slotsPerCommand).toBeLessThanOrEqual(1.01);
  });

  it('reads: one probe round trip to a majority, no slot', () => {
    for (const [name, row] of [
      ['3 nodes, 5 clients', steadyState(3, 5, 20_000, true)],
      ['5 nodes, 5 clients', steadyState(5, 5, 20_000, true)],
    ] as const) {
      console.log(
        `reads, ${name}: ${row.messagesPerCommand.toFixed(2)} messages/read, ${row.slotsPerCommand.toFixed(3)} slots/read, median latency ${row.latencyMedianMs.toFixed(2)} ms`,
      );
      expect(row.slotsPerCommand).toBeLessThan(0.01);
    }
  });

  it('failover after the leader crashes, over 300 seeds', () => {
    const results = [];
    for (let seed = 1; seed <= 300; seed++) {
      const result = failover(seed);
      if (result !== undefined) results.push(result);
    }
    const elected = results.map((r) => r.electedMs).sort((a, b) => a - b);
    const serving = results.map((r) => r.servingMs).sort((a, b) => a - b);
    console.log(
      `failover over ${results.length} seeds: new leader elected median ${percentile(elected, 50).toFixed(1)} ms, p99 ${percentile(elected, 99).toFixed(1)} ms; first client operation ok median ${percentile(serving, 50).toFixed(1)} ms, p99 ${percentile(serving, 99).toFixed(1)} ms`,
    );
    expect(results.length).toBeGreaterThan(290);
    expect(percentile(serving, 50)).toBeLessThan(1_000);
  });
});
