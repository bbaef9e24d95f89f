// Membership changes under faults: random one-voter changes, learners added and promoted,
// partitions, crashes and restarts (joiners restart with no configuration, as a joined server
// member does), message loss, duplication and reordering, snapshots — with the invariant checker
// after every step. Every seed must keep every invariant and, once the faults stop, make progress.
// A failing seed replays: `fuzzSeed(seed)` is deterministic.
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../core/ids.js';
import { type Rng, createRng } from '../../core/rng.js';
import type { MultiPaxosConfig } from './config.js';
import { injectFault } from '../testing/membership-faults.js';
import { type MultiPaxosTestCluster, multiPaxosCluster } from './harness.js';

const BOOT = [0, 1, 2];
const JOINERS = [3, 4];
const IDS = [...BOOT, ...JOINERS];
const ROUNDS = 800;
/** Seeds to run (SEEDS=1000 in the environment runs more; 1..1000 pass). */
const SEEDS = Number(process.env['SEEDS'] ?? 100);

/** One round: every live node ticks, then the queued messages arrive shuffled, some lost or twice. */
function round(cluster: MultiPaxosTestCluster, rng: Rng): void {
  const { network } = cluster;
  network.tick();
  const batch = rng.shuffle(network.inFlight);
  network.inFlight.length = 0;
  for (const envelope of batch) {
    if (rng.chance(0.1)) continue;
    if (network.isUp(envelope.to))
      network.act(envelope.to, (node) => node.step(envelope.from, envelope.message));
    if (rng.chance(0.05)) network.inFlight.push(envelope);
  }
}

/** A change the engine accepts: one voter added or removed, a learner added, promoted or dropped. */
function randomChange(rng: Rng, config: MultiPaxosConfig): MultiPaxosConfig {
  const voters = [...config.voters];
  const learners = [...config.learners];
  const outside = IDS.filter((id) => !voters.includes(id) && !learners.includes(id));
  const roll = rng.next();
  if (roll < 0.25 && outside.length > 0) voters.push(rng.pick(outside));
  else if (roll < 0.5 && voters.length > 1) voters.splice(rng.int(0, voters.length - 1), 1);
  else if (roll < 0.7 && outside.length > 0) learners.push(rng.pick(outside));
  else if (roll < 0.9 && learners.length > 0) {
    const promoted = learners.splice(rng.int(0, learners.length - 1), 1);
    voters.push(...promoted);
  } else if (learners.length > 0) learners.splice(rng.int(0, learners.length - 1), 1);
  return { voters, learners };
}

function leaderOf(cluster: MultiPaxosTestCluster): NodeId | undefined {
  const leaders = IDS.filter(
    (id) => cluster.network.isUp(id) && cluster.engine(id).role === 'leader',
  );
  return leaders.length === 0 ? undefined : leaders[leaders.length - 1];
}

function chaos(cluster: MultiPaxosTestCluster, rng: Rng, crashed: Set<NodeId>): void {
  const { network } = cluster;
  const roll = rng.next();
  const leader = leaderOf(cluster);
  const faults = {
    heal: () => network.heal(),
    partition: (side: readonly NodeId[], rest: readonly NodeId[]) => {
      for (const a of side) for (const b of rest) network.cut(a, b);
    },
    crash: (id: NodeId) => network.crash(id),
    restart: (id: NodeId) => network.restart(id),
  };
  if (injectFault(faults, rng, roll, IDS, crashed)) return;
  if (roll < 0.12 && leader !== undefined) {
    const { voters, learners } = randomChange(rng, cluster.engine(leader).configuration().config);
    cluster.reconfigure(leader, voters, learners);
  } else if (roll < 0.5 && leader !== undefined) {
    cluster.put(leader, `k${rng.int(0, 9)}`, `v${rng.nextUint32()}`);
  }
}

/** Runs one seed; returns the violations seen and whether the cluster made progress after healing. */
function fuzzSeed(
  seed: number,
  variant = 'default',
): { violations: string[]; progressed: boolean; changes: number } {
  const rng = createRng(seed).split('reconfiguration-fuzz');
  const cluster = multiPaxosCluster(BOOT, variant, { snapshotEveryEntries: 16 }, JOINERS, seed);
  const crashed = new Set<NodeId>();
  for (let tick = 0; tick < ROUNDS && cluster.violations.length === 0; tick++) {
    chaos(cluster, rng, crashed);
    round(cluster, rng);
  }
  const changes = cluster.network.notes.filter(({ note }) => note.kind === 'config').length;
  // Liveness once the faults stop: a leader emerges and a new command reaches every voter.
  const { network } = cluster;
  network.heal();
  for (const id of crashed) network.restart(id);
  let progressed = false;
  for (let tick = 0; tick < 3_000 && !progressed && cluster.violations.length === 0; tick++) {
    network.tick();
    network.deliverAll();
    const leader = leaderOf(cluster);
    if (leader === undefined) continue;
    const final = (id: NodeId) =>
      (network.node(id).state.apply({ f: 'get', key: 'final' }) as { value: unknown }).value;
    if (final(leader) !== 'done') cluster.put(leader, 'final', 'done');
    const { config } = cluster.engine(leader).configuration();
    progressed = [...config.voters, ...config.learners].every((id) => final(id) === 'done');
  }
  return { violations: cluster.violations, progressed, changes };
}

describe('Multi-Paxos membership changes under faults', () => {
  it(`keeps every invariant over ${SEEDS} seeds of random changes, partitions, crashes and a lossy network`, () => {
    let changes = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const result = fuzzSeed(seed);
      expect(result.violations, `seed ${seed}`).toEqual([]);
      expect(result.progressed, `seed ${seed}: no progress after healing`).toBe(true);
      changes += result.changes;
    }
    expect(changes).toBeGreaterThan(5 * SEEDS); // the runs did change membership, many times
  }, 60_000);

  it('phase1-in-one-config (unsafe): the same fuzz breaks agreement (seed 68, the first of 1..600; replayed)', () => {
    // A stale node leads on a majority of the configuration it knows, which shares no acceptor
    // with the majority of a later one that chose a value, and overwrites it. Seeds 127, 280, 327,
    // 332, 391, … break it too.
    expect(fuzzSeed(68, 'phase1-in-one-config').violations[0]).toMatch(
      /^agreement: slot 7: two values chosen/,
    );
    expect(fuzzSeed(68, 'default').violations).toEqual([]);
  });
});
