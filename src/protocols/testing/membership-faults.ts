import type { NodeId } from '../../core/ids.js';
import type { Rng } from '../../core/rng.js';

/** What the membership fuzzes do to a test cluster. */
export interface FaultableCluster {
  heal(): void;
  /** Cuts every link between `side` and `rest`. */
  partition(side: readonly NodeId[], rest: readonly NodeId[]): void;
  crash(id: NodeId): void;
  restart(id: NodeId): void;
}

/**
 * The faults the membership fuzzes (Raft's and Multi-Paxos's) inject, from one uniform `roll`:
 * below 0.02 a new partition cuts one or two nodes off, below 0.04 the network heals, below 0.05 a
 * node crashes (two at most are down), below 0.08 a crashed node restarts. Returns false when the
 * roll injected nothing, so the caller spends it on its own actions (changes, proposals).
 */
export function injectFault(
  cluster: FaultableCluster,
  rng: Rng,
  roll: number,
  ids: readonly NodeId[],
  crashed: Set<NodeId>,
): boolean {
  if (roll < 0.02) {
    cluster.heal();
    const side = rng.shuffle(ids).slice(0, rng.int(1, 2));
    cluster.partition(
      side,
      ids.filter((id) => !side.includes(id)),
    );
  } else if (roll < 0.04) cluster.heal();
  else if (roll < 0.05 && crashed.size < 2) {
    const victim = rng.pick(ids.filter((id) => !crashed.has(id)));
    cluster.crash(victim);
    crashed.add(victim);
  } else if (roll < 0.08 && crashed.size > 0) {
    const back = rng.pick([...crashed]);
    crashed.delete(back);
    cluster.restart(back);
  } else return false;
  return true;
}
