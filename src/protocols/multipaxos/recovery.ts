import { compareBallots } from '../../core/ballot.js';
import type { AcceptedSlot, SlotProposal } from './messages.js';

/**
 * Phase 1's outcome for a new leader (the rule Basic Paxos's proposer applies to one instance,
 * applied to every slot after `commitSlot`): each slot gets the value accepted with the highest
 * ballot among the promises, and a slot nobody reported — a hole — gets a no-op, up to the highest
 * slot anyone reported. Pure, so the rule is tested on its own.
 *
 * `trustOwnLogOnly` is the `noop-without-quorum` variant: only the leader's own accepted slots
 * count, so a slot chosen without the leader becomes a no-op.
 */
export function recoveryProposals<C>(
  reports: readonly (readonly AcceptedSlot<C>[])[],
  own: readonly AcceptedSlot<C>[],
  commitSlot: number,
  trustOwnLogOnly: boolean,
): SlotProposal<C>[] {
  const best = new Map<number, AcceptedSlot<C>>();
  let lastSlot = commitSlot;
  for (const report of reports)
    for (const entry of report) {
      lastSlot = Math.max(lastSlot, entry.slot);
      if (trustOwnLogOnly || entry.slot <= commitSlot) continue;
      const current = best.get(entry.slot);
      if (current === undefined || compareBallots(entry.ballot, current.ballot) > 0)
        best.set(entry.slot, entry);
    }
  if (trustOwnLogOnly)
    for (const entry of own) if (entry.slot > commitSlot) best.set(entry.slot, entry);
  const proposals: SlotProposal<C>[] = [];
  for (let slot = commitSlot + 1; slot <= lastSlot; slot++)
    proposals.push({ slot, value: best.get(slot)?.value ?? [] });
  return proposals;
}
