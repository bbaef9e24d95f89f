import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../check/history.js';
import { resolveSimConfig } from './scenario.js';
import { Simulation } from './simulation.js';
import type { TraceEvent } from './trace.js';

function run(input: Record<string, unknown>) {
  const events: TraceEvent[] = [];
  const simulation = new Simulation(resolveSimConfig({ protocol: 'fixed-leader', ...input }), {
    onEvent: (event) => events.push(event),
  });
  const result = simulation.run();
  return { result, events };
}

/** Each process alternates invoke and completion of the same function and key. */
function expectSequentialProcesses(history: readonly HistoryEvent[]): void {
  const open = new Map<number, HistoryEvent>();
  for (const event of history) {
    const pending = open.get(event.process);
    if (event.type === 'invoke') {
      expect(pending, `process ${event.process} invoked twice`).toBeUndefined();
      open.set(event.process, event);
    } else {
      expect(pending, `process ${event.process} completed without invoking`).toBeDefined();
      expect([event.f, event.key]).toEqual([pending!.f, pending!.key]);
      open.delete(event.process);
    }
  }
}

describe('clients', () => {
  it('record histories with the documented conventions', () => {
    const { result } = run({ seed: 5, durationUs: 2_000_000 });
    const history = result.history;
    expect(history.length).toBeGreaterThan(200);
    expectSequentialProcesses(history);
    for (const event of history) {
      if (event.type !== 'ok') continue;
      if (event.f === 'get')
        expect(event.value === null || typeof event.value === 'string').toBe(true);
      if (event.f === 'put') expect(typeof event.value).toBe('string');
      if (event.f === 'inc') expect(Number.isInteger(event.value)).toBe(true);
      if (event.f === 'cas')
        expect(Array.isArray(event.value) && event.value.length === 2).toBe(true);
      if (event.f === 'delete') expect(event.value).toBeNull();
    }
    // A cas whose compare failed is a `fail`, with its [expected, new] argument.
    expect(history.some((event) => event.f === 'cas' && event.type === 'fail')).toBe(true);
    expect(result.linearizability?.verdict).toBe('linearizable');
  });

  it('follow the leader hint after a "not the leader" failure', () => {
    const { events } = run({ seed: 1, durationUs: 1_000_000, clients: { count: 3 } });
    const invokes = events.filter(
      (event): event is Extract<TraceEvent, { type: 'invoke' }> => event.type === 'invoke',
    );
    // Processes start on nodes 0, 1, 2; after their first answer every one of them talks to 0.
    const firstNodes = new Map<number, number>();
    for (const event of invokes)
      if (!firstNodes.has(event.process)) firstNodes.set(event.process, event.node);
    expect([...firstNodes.values()].sort()).toEqual([0, 1, 2]);
    expect(invokes.slice(-20).every((event) => event.node === 0)).toBe(true);
  });

  it('end operations on a crashed node as info, and go on under a new process id', () => {
    const { result, events } = run({
      seed: 2,
      durationUs: 1_000_000,
      clients: { count: 4, thinkUsMax: 0 },
      nemesis: { schedule: [{ atUs: 500_000, action: { type: 'crash', nodes: [0] } }] },
    });
    const infos = events.filter(
      (event) => event.type === 'complete' && event.outcome === 'info' && event.t === 500_000,
    );
    expect(infos.length).toBeGreaterThan(0);
    const processes = new Set(result.history.map((event) => event.process));
    for (const info of infos)
      if (info.type === 'complete') expect(processes.has(info.process + 4)).toBe(true);
    expectSequentialProcesses(result.history);
    // A crashed node refuses connections: definitely not executed, so `fail`.
    expect(
      events.some(
        (event) =>
          event.type === 'complete' &&
          event.outcome === 'fail' &&
          event.error === 'connection refused',
      ),
    ).toBe(true);
  });

  it('time out operations that get no answer, as info', () => {
    const { events } = run({
      seed: 3,
      durationUs: 2_000_000,
      clients: { timeoutUs: 100_000 },
      nemesis: { schedule: [{ atUs: 300_000, action: { type: 'isolate', nodes: [0] } }] },
      // Dozens of indeterminate writes make the search huge; this test is about the clients.
      linearizability: { enabled: false },
    });
    const timeouts = events.filter(
      (event) => event.type === 'complete' && event.outcome === 'info' && event.error === 'timeout',
    );
    expect(timeouts.length).toBeGreaterThan(0);
  });

  it('stop after operationsMax operations', () => {
    const { result } = run({ seed: 4, durationUs: 2_000_000, clients: { operationsMax: 25 } });
    expect(result.stats.invocations).toBe(25);
  });
});
