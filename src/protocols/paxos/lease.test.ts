import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import type { NodeId } from '../../core/ids.js';
import { createRng } from '../../core/rng.js';
import { type SimConfig, resolveSimConfig, sweep } from '../../sim/index.js';
import { Network } from './harness.js';
import { type LeaseMessage, LeaseNode, type LeaseRecord } from './lease.js';

const TICK_US = 10_000;

function leaseNetwork(variant = 'default') {
  const clock = new ManualClock();
  const root = createRng(1);
  const ids = [0, 1, 2];
  let incarnation = 0;
  const network = new Network<LeaseMessage, LeaseRecord, LeaseNode>(
    ids,
    (id) =>
      new LeaseNode({
        id,
        members: ids,
        variant,
        rng: root.split(`lease-${id}-${++incarnation}`),
        clock,
        restored: [],
        options: { leaseDurationMs: 500, retryTicksMax: 5 },
      }),
  );
  const holders = () => ids.filter((id) => network.isUp(id) && network.node(id).holdsLease());
  /** Advance true time tick by tick, delivering everything after each; asserts exclusivity throughout. */
  const run = (ticks: number) => {
    for (let tick = 0; tick < ticks; tick++) {
      clock.advanceBy(TICK_US);
      network.tick();
      network.deliverAll();
      expect(holders().length).toBeLessThanOrEqual(1);
    }
  };
  return { network, clock, run, holders };
}

describe('PaxosLease', () => {
  it('acceptors stay silent for T after boot, because they may have forgotten a lease they granted', () => {
    const { network } = leaseNetwork();
    const node0 = network.node(0);
    node0.step(1, { type: 'lease-prepare', ballot: { round: 9, node: 1 } });
    expect(node0.ready().messages).toEqual([]);
  });

  it('after the boot wait one node acquires the lease; the others see it open in their promises and back off', () => {
    const { network, run, holders } = leaseNetwork();
    run(150);
    expect(holders()).toHaveLength(1);
    const holder = holders()[0] as NodeId;
    for (const id of [0, 1, 2]) expect(network.node(id).inspect().leader).toBe(holder);
    run(300); // the holder renews at half its holding time and keeps the lease
    expect(holders()).toEqual([holder]);
  });

  it('a cut-off holder’s lease ends before the acceptors’ timers do, so the next holder never overlaps it', () => {
    const { network, run, holders } = leaseNetwork();
    run(150);
    const holder = holders()[0] as NodeId;
    network.isolate(holder);
    let handoverTick = -1;
    for (let tick = 0; tick < 200 && handoverTick < 0; tick++) {
      run(1);
      const now = holders();
      if (now.length === 1 && now[0] !== holder) handoverTick = tick;
    }
    expect(handoverTick).toBeGreaterThan(0);
    expect(network.node(holder).holdsLease()).toBe(false);
  });
});

function clocks(seed: number, lowPpm: number, highPpm: number): SimConfig['clocks'] {
  const rng = createRng(seed).split('clocks');
  return [0, 1, 2].map((node) => ({
    node,
    offsetUs: rng.int(-100_000, 100_000),
    driftPpm: (rng.chance(0.5) ? 1 : -1) * rng.int(lowPpm, highPpm),
  }));
}

/**
 * Clock skew as the safety argument states it: constant offsets and rates within ±lowPpm..highPpm
 * of true time, set for the whole run (the skew nemesis also makes clocks jump, which no lease
 * survives, so it is left out). Network faults, crashes and pauses are all on.
 */
function firstViolation(variant: string, lowPpm: number, highPpm: number, seedsMax: number) {
  for (let seed = 1; seed <= seedsMax; seed++) {
    const config = resolveSimConfig({
      protocol: 'paxos-lease',
      variant,
      seed,
      durationUs: 5_000_000,
      clocks: clocks(seed, lowPpm, highPpm),
      nemesis: {
        generators: ['partition', 'bridge', 'one-way', 'kill', 'restart', 'pause', 'storm'],
      },
    });
    const result = sweep(config, { from: seed, to: seed });
    if (result.firstViolation !== undefined) return result.firstViolation;
  }
  return undefined;
}

describe('PaxosLease in the simulator (registered as "paxos-lease"), stated bound: clock rates within ±50,000 ppm', () => {
  it('default: never two holders with every clock drifting up to the bound, over 300 seeds', () => {
    expect(firstViolation('default', 0, 50_000, 300)?.violation).toBeUndefined();
    expect(firstViolation('default', 50_000, 50_000, 100)?.violation).toBeUndefined();
  });

  it('default beyond the bound (±150,000..400,000 ppm): two holders are found within seeds 1..1000', () => {
    expect(firstViolation('default', 150_000, 400_000, 1000)?.violation?.invariant).toBe(
      'lease-exclusive',
    );
  });

  it('no-drift-margin: two holders are found within seeds 1..1000 even within the bound', () => {
    expect(firstViolation('no-drift-margin', 50_000, 50_000, 1000)?.violation?.invariant).toBe(
      'lease-exclusive',
    );
  });

  it('no-restart-wait: two holders are found within seeds 1..1000', () => {
    expect(firstViolation('no-restart-wait', 0, 50_000, 1000)?.violation?.invariant).toBe(
      'lease-exclusive',
    );
  });
});
