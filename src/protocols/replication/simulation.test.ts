import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../core/ids.js';
import { createRng } from '../../core/rng.js';
import type { History } from '../../check/history.js';
import {
  type AnyProtocolDefinition,
  NEMESIS_NAMES,
  type SimConfig,
  type TimedAction,
  resolveSimConfig,
  runSimulation,
  sweep,
} from '../../sim/index.js';
import { replicationDefinition } from './definition.js';

const definition = replicationDefinition as unknown as AnyProtocolDefinition;

/** The same definition with its invariant checker silenced: only the linearizability checker judges. */
const linearizabilityOnly: AnyProtocolDefinition = {
  ...definition,
  createInvariantChecker: () => ({ check: () => undefined }),
};

/** The same KV workload for every strategy, under every nemesis the simulator has. */
function config(variant: string, input: Record<string, unknown> = {}): SimConfig {
  return resolveSimConfig(
    {
      protocol: 'replication',
      variant,
      durationUs: 3_000_000,
      nemesis: { generators: [...NEMESIS_NAMES] },
      ...input,
    },
    'test',
    definition,
  );
}

const UNSAFE: readonly (readonly [string, string])[] = [
  ['async', 'acknowledged-writes-survive'],
  ['semisync', 'acknowledged-writes-survive'],
  ['majority', 'one-value-per-majority'],
  ['lww', 'returned-values-stay'],
  ['versioned', 'no-lost-update'],
];

describe('the replication strategies in the simulator, every nemesis on', () => {
  it.each(UNSAFE)(
    '%s: the invariant checker finds %s broken somewhere in seeds 1..200',
    (variant, invariant) => {
      const result = sweep(config(variant), { from: 1, to: 200 }, undefined, { definition });
      expect(result.firstViolation?.violation?.invariant).toBe(invariant);
      console.log(
        `${variant}: seed ${result.firstViolation?.seed}: ${result.firstViolation?.violation?.message}`,
      );
    },
  );

  it.each(UNSAFE.map(([variant]) => variant))(
    '%s: the linearizability checker alone finds a violation somewhere in seeds 1..200',
    (variant) => {
      const result = sweep(config(variant), { from: 1, to: 200 }, undefined, {
        definition: linearizabilityOnly,
      });
      expect(result.firstViolation?.violation?.kind).toBe('linearizability');
      console.log(`${variant}: not linearizable, replay seed ${result.firstViolation?.seed}`);
    },
  );

  it.each(['default', 'prepared'])(
    '%s: linearizable, and every invariant holds, over seeds 1..100',
    (variant) => {
      const result = sweep(config(variant), { from: 1, to: 100 }, undefined, { definition });
      expect(result.firstViolation).toBeUndefined();
      expect(result.unknownSeeds).toEqual([]);
      expect(result.passed).toBe(100);
    },
  );

  it('raft: the same workload and nemeses stay linearizable over seeds 1..20', () => {
    const raft = resolveSimConfig({
      protocol: 'raft',
      durationUs: 3_000_000,
      nemesis: { generators: [...NEMESIS_NAMES] },
    });
    const result = sweep(raft, { from: 1, to: 20 });
    expect(result.firstViolation).toBeUndefined();
  });
});

/**
 * Each node crashes on its own, independently of the others, for longer than a client waits (so an
 * outage is not merely a slow write), as seed 002 assumes when it says that synchronous
 * replication's availability falls as the cluster grows.
 */
function independentCrashes(seed: number, nodes: number, durationUs: number): TimedAction[] {
  const actions: TimedAction[] = [];
  for (let id: NodeId = 0; id < nodes; id++) {
    const rng = createRng(seed).split(`crashes:${id}`);
    let atUs = rng.int(100_000, 2_000_000);
    while (atUs < durationUs - 1_000_000) {
      const downUs = rng.int(600_000, 1_200_000);
      actions.push({ atUs, action: { type: 'crash', nodes: [id] } });
      actions.push({ atUs: atUs + downUs, action: { type: 'restart', nodes: [id] } });
      atUs += downUs + rng.int(2_000_000, 5_000_000);
    }
  }
  return actions;
}

const WRITES = new Set(['put', 'delete', 'cas', 'inc']);

/** The fraction of write operations that completed `ok`. */
function writeAvailability(history: History): { ok: number; total: number } {
  const pending = new Map<number, string>();
  let ok = 0;
  let total = 0;
  for (const event of history) {
    if (event.type === 'invoke') {
      pending.set(event.process, event.f);
      continue;
    }
    const f = pending.get(event.process);
    pending.delete(event.process);
    if (f === undefined || !WRITES.has(f)) continue;
    total++;
    if (event.type === 'ok') ok++;
  }
  return { ok, total };
}

function measureAvailability(variant: string, nodes: number, seeds: number): number {
  let ok = 0;
  let total = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const durationUs = 10_000_000;
    const run = runSimulation(
      config(variant, {
        seed,
        nodes,
        durationUs,
        nemesis: { generators: [], schedule: independentCrashes(seed, nodes, durationUs) },
        linearizability: { enabled: false },
      }),
      { definition },
    );
    const counted = writeAvailability(run.history);
    ok += counted.ok;
    total += counted.total;
  }
  return ok / total;
}

describe('availability: the fraction of writes answered ok while nodes crash independently', () => {
  it('synchronous replication loses availability as replicas grow; majority quorums keep it', () => {
    const table = [3, 5, 7].map((nodes) => ({
      nodes,
      default: measureAvailability('default', nodes, 5),
      semisync: measureAvailability('semisync', nodes, 5),
      prepared: measureAvailability('prepared', nodes, 5),
    }));
    console.table(table);
    const [three, five, seven] = table as [(typeof table)[0], (typeof table)[0], (typeof table)[0]];
    expect(five.default).toBeLessThan(three.default);
    expect(seven.default).toBeLessThan(five.default);
    expect(seven.prepared).toBeGreaterThan(seven.default);
  });
});
