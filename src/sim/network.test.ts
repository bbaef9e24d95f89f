import { describe, expect, it } from 'vitest';
import { diskProbeDefinition } from './testing/disk-probe.js';
import { pingPongDefinition } from './testing/ping-pong.js';
import { ofType, runFixture, startFixture } from './testing/run.js';

// disk-probe: nodes 1.. send one message to node 0 per tick (100 per second each).
const probe = diskProbeDefinition;

describe('network faults behave as configured', () => {
  it('loses about the configured fraction of messages, with reason "loss"', () => {
    const { events, result } = runFixture(probe, {
      nodes: 3,
      durationUs: 10_000_000,
      network: { lossProbability: 0.3 },
    });
    const drops = ofType(events, 'drop');
    expect(drops.every((drop) => drop.reason === 'loss')).toBe(true);
    const ratio = drops.length / result.stats.sends;
    expect(ratio).toBeGreaterThan(0.25);
    expect(ratio).toBeLessThan(0.35);
    // Every message sent is delivered, dropped, or still in flight at the end (at most a few).
    const settled = result.stats.deliveries + result.stats.drops;
    expect(settled).toBeLessThanOrEqual(result.stats.sends);
    expect(settled).toBeGreaterThan(result.stats.sends - 5);
  });

  it('duplicates about the configured fraction, and delivers every copy', () => {
    const { events, result } = runFixture(probe, {
      nodes: 3,
      durationUs: 10_000_000,
      network: { duplicateProbability: 0.2 },
    });
    const duplicates = ofType(events, 'duplicate');
    const ratio = duplicates.length / result.stats.sends;
    expect(ratio).toBeGreaterThan(0.16);
    expect(ratio).toBeLessThan(0.24);
    const delivered = new Set(ofType(events, 'deliver').map((event) => event.id));
    for (const copy of duplicates)
      if (copy.deliverAt <= 10_000_000) expect(delivered.has(copy.id)).toBe(true);
  });

  it('applies the default latency and per-link overrides exactly', () => {
    const { events } = runFixture(probe, {
      nodes: 3,
      durationUs: 1_000_000,
      network: {
        latency: { kind: 'fixed', us: 1_234 },
        links: [{ from: 2, to: 0, latency: { kind: 'uniform', minUs: 50_000, maxUs: 60_000 } }],
      },
    });
    const sent = new Map(ofType(events, 'send').map((send) => [send.id, send]));
    const deliveries = ofType(events, 'deliver');
    expect(deliveries.length).toBeGreaterThan(100);
    for (const delivery of deliveries) {
      const latencyUs = delivery.t - sent.get(delivery.id)!.t;
      if (delivery.from === 1) expect(latencyUs).toBe(1_234);
      else {
        expect(latencyUs).toBeGreaterThanOrEqual(50_000);
        expect(latencyUs).toBeLessThanOrEqual(60_000);
      }
    }
  });

  it('reorders messages on one link when asked to', () => {
    const run = (reorderProbability: number) => {
      const { events } = runFixture(probe, {
        nodes: 2,
        durationUs: 2_000_000,
        network: {
          latency: { kind: 'fixed', us: 1_000 },
          reorderProbability,
          reorderDelayUsMax: 50_000,
        },
      });
      const order = ofType(events, 'deliver').map((event) => event.id);
      return order.some((id, index) => index > 0 && id < order[index - 1]!);
    };
    expect(run(0)).toBe(false);
    expect(run(0.5)).toBe(true);
  });

  it('a partition drops messages between sides (reason "partition") until healed', () => {
    const { events } = runFixture(pingPongDefinition, {
      nodes: 3,
      durationUs: 2_000_000,
      nemesis: {
        schedule: [
          { atUs: 500_000, action: { type: 'partition', sides: [[0], [1, 2]] } },
          { atUs: 1_000_000, action: { type: 'heal' } },
        ],
      },
    });
    const crossing = (event: { from: number; to: number }) =>
      (event.from === 0) !== (event.to === 0);
    const during = (event: { t: number }) => event.t >= 500_000 && event.t < 1_000_000;
    expect(ofType(events, 'deliver').filter((event) => during(event) && crossing(event))).toEqual(
      [],
    );
    const partitionDrops = ofType(events, 'drop').filter((drop) => drop.reason === 'partition');
    expect(partitionDrops.length).toBeGreaterThan(0);
    expect(partitionDrops.every((drop) => crossing(drop) && during(drop))).toBe(true);
    // Nodes 1 and 2 keep talking, and after the heal 0's new messages get through again.
    expect(ofType(events, 'deliver').some((event) => during(event) && !crossing(event))).toBe(true);
    expect(ofType(events, 'heal')).toHaveLength(1);
  });

  it('a one-way cut drops one direction only', () => {
    const { events } = runFixture(probe, {
      nodes: 3,
      durationUs: 1_000_000,
      nemesis: { schedule: [{ atUs: 0, action: { type: 'cut', from: 1, to: 0 } }] },
    });
    const deliveries = ofType(events, 'deliver');
    expect(deliveries.some((event) => event.from === 1)).toBe(false);
    expect(deliveries.some((event) => event.from === 2)).toBe(true);
    expect(ofType(events, 'partition')[0]?.cut).toEqual([[1, 0]]);
  });

  it('a bridge node talks to both sides, which cannot talk to each other', () => {
    const { events } = runFixture(pingPongDefinition, {
      nodes: 5,
      durationUs: 1_000_000,
      nemesis: {
        schedule: [
          {
            atUs: 0,
            action: {
              type: 'bridge',
              bridge: 2,
              sides: [
                [0, 1, 2],
                [2, 3, 4],
              ],
            },
          },
        ],
      },
    });
    const left = new Set([0, 1]);
    const right = new Set([3, 4]);
    const deliveries = ofType(events, 'deliver').filter((event) => event.t > 0);
    const crosses = (a: number, b: number) =>
      (left.has(a) && right.has(b)) || (right.has(a) && left.has(b));
    expect(deliveries.some((event) => crosses(event.from, event.to))).toBe(false);
    expect(deliveries.some((event) => event.from === 2 && left.has(event.to))).toBe(true);
    expect(deliveries.some((event) => event.from === 2 && right.has(event.to))).toBe(true);
  });

  it('a message to a crashed node is dropped with reason "crashed"', () => {
    const { events } = runFixture(probe, {
      nodes: 3,
      durationUs: 1_000_000,
      nemesis: { schedule: [{ atUs: 300_000, action: { type: 'crash', nodes: [0] } }] },
    });
    const late = ofType(events, 'drop').filter((drop) => drop.t > 300_000);
    expect(late.length).toBeGreaterThan(0);
    expect(late.every((drop) => drop.reason === 'crashed' && drop.to === 0)).toBe(true);
    expect(
      ofType(events, 'deliver').filter((event) => event.to === 0 && event.t > 300_000),
    ).toEqual([]);
  });

  it('bounds the messages in flight: past the bound they are dropped as "overload"', () => {
    const { events } = runFixture(pingPongDefinition, {
      nodes: 4,
      durationUs: 200_000,
      network: { duplicateProbability: 0.5, inFlightMessagesMax: 500 },
    });
    expect(ofType(events, 'drop').some((drop) => drop.reason === 'overload')).toBe(true);
  });
});

describe('nodes', () => {
  it('a paused node gets its backlog, in order, when it resumes, and loses nothing', () => {
    const { events, result } = runFixture(probe, {
      nodes: 3,
      durationUs: 1_000_000,
      nemesis: {
        schedule: [
          { atUs: 200_000, action: { type: 'pause', nodes: [0] } },
          { atUs: 500_000, action: { type: 'resume', nodes: [0] } },
        ],
      },
    });
    expect(result.stats.drops).toBe(0);
    const toZero = ofType(events, 'deliver').filter((event) => event.to === 0);
    expect(toZero.filter((event) => event.t > 200_000 && event.t < 500_000)).toEqual([]);
    const atResume = toZero.filter((event) => event.t === 500_000);
    const resume = ofType(events, 'resume')[0]!;
    expect(resume.backlog).toBeGreaterThan(40); // two senders, one message per 10 ms each, for 300 ms
    expect(atResume).toHaveLength(resume.backlog);
    const sendTimes = new Map(ofType(events, 'send').map((send) => [send.id, send.t]));
    const sent = atResume.map((event) => sendTimes.get(event.id)!);
    expect(sent).toEqual([...sent].sort((a, b) => a - b));
  });

  it('a crash loses unsynced writes sometimes; synced ones never', () => {
    // Node 1 writes a record per tick and announces it to node 0 in the same batch.
    const restoredVsAnnounced = (seed: number, sync: boolean) => {
      const { simulation } = startFixture(probe, {
        nodes: 2,
        seed,
        durationUs: 1_000_000,
        options: { sync },
        nemesis: { schedule: [{ atUs: 500_000, action: { type: 'crash', nodes: [1] } }] },
      });
      simulation.runUntil(600_000);
      const leader = simulation.node(0)!.inspect().state as { announced: Record<string, number> };
      const announced = leader.announced['1'] ?? 0;
      simulation.inject({ type: 'restart', nodes: [1] });
      const restored = (simulation.node(1)!.inspect().state as { restored: number }).restored;
      return { announced, restored };
    };
    let lostAnnounced = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const synced = restoredVsAnnounced(seed, true);
      expect(synced.restored).toBeGreaterThanOrEqual(synced.announced);
      const unsynced = restoredVsAnnounced(seed, false);
      if (unsynced.restored < unsynced.announced) lostAnnounced++;
    }
    expect(lostAnnounced).toBeGreaterThan(0);
  });

  it("a node's clock runs with its configured offset and drift", () => {
    const { simulation } = startFixture(probe, {
      nodes: 2,
      durationUs: 2_000_000,
      clocks: [{ node: 1, offsetUs: 5_000, driftPpm: 1_000 }],
    });
    simulation.runUntil(1_000_000);
    const clockOf = (id: number) =>
      (simulation.node(id)!.inspect().state as { clockUs: number }).clockUs;
    expect(clockOf(0)).toBe(1_000_000);
    expect(clockOf(1)).toBe(1_000_000 + 5_000 + 1_000);
    simulation.inject({ type: 'skew', node: 0, offsetUs: -300, driftPpm: 0 });
    expect(clockOf(0)).toBe(999_700);
  });

  it('ticks every tickIntervalUs, at a random phase per node', () => {
    const { result } = runFixture(probe, {
      nodes: 3,
      durationUs: 1_000_000,
      tickIntervalUs: 20_000,
    });
    expect(result.stats.ticks).toBeGreaterThanOrEqual(3 * 49);
    expect(result.stats.ticks).toBeLessThanOrEqual(3 * 50);
  });
});
