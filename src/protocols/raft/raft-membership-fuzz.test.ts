// Membership changes under faults: random joint and one-at-a-time changes, learners, transfers,
// partitions, crashes, message loss, duplication and reordering on the harness network, with the
// invariant checker after every round. Seeds vary; every seed must keep every invariant.
import { describe, expect, it } from 'vitest';
import type { ClusterView } from '../../core/protocol.js';
import { type Rng, createRng } from '../../core/rng.js';
import { injectFault } from '../testing/membership-faults.js';
import { RaftNetwork } from './harness.js';
import { RaftInvariantChecker } from './invariants.js';
import type { RaftNode } from './raft.js';

const IDS = [1, 2, 3, 4, 5];
const JOINERS = new Set([4, 5]);

function view(network: RaftNetwork): ClusterView<RaftNode<string>> {
  return { timeUs: 0, nodes: IDS.map((id) => ({ id, node: network.nodes.get(id) })) };
}

/** One round: every live node ticks, then the queued messages arrive shuffled, some lost or twice. */
function round(network: RaftNetwork, rng: Rng): void {
  for (const id of network.nodes.keys()) network.tick(id);
  const batch = rng.shuffle(network.queue);
  network.queue = [];
  for (const envelope of batch) {
    if (rng.chance(0.1)) continue;
    network.deliver(envelope);
    if (rng.chance(0.05)) network.queue.push(envelope);
  }
}

function randomTarget(rng: Rng): { voters: number[]; learners: number[] } {
  const shuffled = rng.shuffle(IDS);
  const voters = shuffled.slice(0, rng.int(1, 5)).sort();
  const learners = shuffled.filter((id) => !voters.includes(id) && rng.chance(0.5));
  return { voters, learners };
}

function chaos(network: RaftNetwork, rng: Rng, crashed: Set<number>): void {
  const roll = rng.next();
  const leader = network.leader();
  const faults = {
    heal: () => network.heal(),
    partition: (side: readonly number[], rest: readonly number[]) =>
      network.partition([...side], [...rest]),
    crash: (id: number) => network.crash(id),
    restart: (id: number) => network.restart(id, JOINERS.has(id) ? { join: true } : {}),
  };
  if (injectFault(faults, rng, roll, IDS, crashed)) return;
  if (roll < 0.1 && leader !== undefined) {
    leader.proposeConfigChange(randomTarget(rng));
  } else if (roll < 0.11 && leader !== undefined) {
    leader.transferLeadership(rng.pick(IDS));
  } else if (roll < 0.5 && leader !== undefined) {
    network.propose(leader.id, `c${rng.nextUint32()}`);
  }
}

describe('membership changes under faults', () => {
  it('keeps every invariant over 100 seeds of random changes, partitions, crashes and a lossy network', () => {
    let changes = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const rng = createRng(seed).split('fuzz');
      const network = new RaftNetwork(3, {
        seed,
        options: { electionTicks: 10, heartbeatTicks: 2 },
      });
      for (const id of JOINERS) network.addJoiner(id);
      const checker = new RaftInvariantChecker<RaftNode<string>>(
        (node) => node as RaftNode<unknown>,
      );
      const crashed = new Set<number>();
      for (let tick = 0; tick < 600; tick++) {
        chaos(network, rng, crashed);
        round(network, rng);
        const violation = checker.check(view(network));
        expect(violation, `seed ${seed} tick ${tick}`).toBeUndefined();
      }
      changes += network.notes.filter((note) => note.includes('configuration')).length;
      // Liveness once the faults stop: a leader emerges and a new command commits on every voter.
      network.heal();
      for (const id of crashed) network.restart(id, JOINERS.has(id) ? { join: true } : {});
      let done = false;
      for (let tick = 0; tick < 2_000 && !done; tick++) {
        network.tickAll();
        network.deliverAll();
        const leader = network.leader();
        if (leader === undefined || leader.log.committed < 1) continue;
        if (!network.commands(leader.id).includes('final')) network.propose(leader.id, 'final');
        const voters = leader.tracker.config.voters;
        done = voters.every((id) => network.commands(id).includes('final'));
        expect(checker.check(view(network))).toBeUndefined();
      }
      expect(done, `seed ${seed}: no progress after healing`).toBe(true);
    }
    expect(changes).toBeGreaterThan(40); // the runs did change membership, many times
  }, 60_000);
});
