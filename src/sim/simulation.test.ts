import { describe, expect, it } from 'vitest';
import { resolveSimConfig } from './scenario.js';
import { Simulation } from './simulation.js';
import { runSimulation } from './sweep.js';
import type { TraceEvent } from './trace.js';

const config = resolveSimConfig({ protocol: 'fixed-leader', seed: 11, durationUs: 1_000_000 });

describe('Simulation, driven step by step (the visualizer)', () => {
  it('step() runs one event at a time and ends at the configured duration', () => {
    const simulation = new Simulation(config);
    let steps = 0;
    let lastUs = 0;
    while (simulation.step()) {
      expect(simulation.nowUs).toBeGreaterThanOrEqual(lastUs);
      lastUs = simulation.nowUs;
      steps++;
    }
    expect(simulation.nextEventUs()).toBeUndefined();
    const result = simulation.finish();
    expect(result.stats.events).toBe(steps);
    expect(result.ok).toBe(true);
  });

  it('stepping and runUntil reach the same state as run()', () => {
    const stepped = new Simulation(config);
    stepped.runUntil(250_000);
    expect(stepped.nowUs).toBe(250_000);
    stepped.runUntil(600_000);
    const whole = runSimulation(config);
    expect(stepped.run()).toEqual(whole);
  });

  it('shows every node, and finds the leader', () => {
    const simulation = new Simulation(config);
    simulation.runUntil(100_000);
    const nodes = simulation.nodes();
    expect(nodes.map((node) => [node.id, node.status])).toEqual([
      [0, 'up'],
      [1, 'up'],
      [2, 'up'],
    ]);
    expect(nodes[0]!.inspection).toMatchObject({ role: 'leader', leader: 0 });
    expect(simulation.currentLeader()).toBe(0);
  });

  it('takes faults and client operations by hand', () => {
    const events: TraceEvent[] = [];
    const simulation = new Simulation(
      resolveSimConfig({ protocol: 'fixed-leader', seed: 1, clients: { count: 0 } }),
      { onEvent: (event) => events.push(event) },
    );
    simulation.runUntil(50_000);
    const write = simulation.submit(0, { f: 'put', key: 'x', value: '1' });
    simulation.runUntil(100_000);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'complete', request: write, outcome: 'ok' }),
    );
    expect(simulation.inject({ type: 'crash', nodes: 'leader' })).toBe(true);
    expect(simulation.nodes()[0]!.status).toBe('crashed');
    expect(simulation.inject({ type: 'crash', nodes: [0] })).toBe(false); // already down
    const refused = simulation.submit(0, { f: 'get', key: 'x' });
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'complete', request: refused, outcome: 'fail' }),
    );
    simulation.inject({ type: 'restart', nodes: 'crashed' });
    simulation.runUntil(200_000);
    const read = simulation.submit(0, { f: 'get', key: 'x' });
    simulation.runUntil(300_000);
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'complete',
        request: read,
        result: { f: 'get', value: '1' },
      }),
    );
    expect(simulation.finish().linearizability?.verdict).toBe('linearizable');
  });

  it('emits a state line per node at start and only on change afterwards', () => {
    const events: TraceEvent[] = [];
    runSimulation(
      resolveSimConfig({
        protocol: 'fixed-leader',
        durationUs: 1_000_000,
        nemesis: {
          schedule: [
            { atUs: 400_000, action: { type: 'crash', nodes: [1] } },
            { atUs: 500_000, action: { type: 'restart', nodes: [1] } },
          ],
        },
      }),
      { onEvent: (event) => events.push(event) },
    );
    const states = events.filter(
      (event): event is Extract<TraceEvent, { type: 'state' }> => event.type === 'state',
    );
    expect(states.slice(0, 3).map((event) => [event.t, event.node])).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
    ]);
    const last = new Map<number, string>();
    for (const event of events) {
      if (event.type === 'crash') last.delete(event.node);
      if (event.type !== 'state') continue;
      const { t: _t, ...state } = event;
      const key = JSON.stringify(state);
      expect(last.get(state.node)).not.toBe(key);
      last.set(state.node, key);
    }
    // The restarted node reports itself again (its state was gone with the crash).
    expect(states.some((event) => event.node === 1 && event.t === 500_000)).toBe(true);
  });
});
