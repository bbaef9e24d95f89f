import { compareBallots } from '../../core/ballot.js';
import type { NodeId } from '../../core/ids.js';
import { majorityQuorum } from '../../core/quorum.js';
import { type MultiPaxosConfig, isConfigValue } from './config.js';
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

/** One acceptor's phase 1b: every slot it accepted from `fromSlot` on. */
export interface PromiseReport<C> {
  readonly fromSlot: number;
  readonly accepted: readonly AcceptedSlot<C>[];
}

/** Phase 1's state: a configuration still short of a quorum of promises, or the proposals to make. */
export type RecoveryPlan<C> =
  | { readonly complete: false; readonly waitingFor: MultiPaxosConfig }
  | { readonly complete: true; readonly proposals: SlotProposal<C>[] };

/**
 * Phase 1 with configurations in the log. Slots after `afterSlot` are governed by `config` until a
 * configuration value: a value chosen in slot s governs the slots after s. So a phase 1 over the
 * slots after `afterSlot` holds only once the promises (those whose report covers `afterSlot + 1`)
 * include a majority of `config`'s voters, and — for every configuration value the recovery is
 * about to re-propose — a majority of that configuration's voters too: its acceptors may have
 * chosen values in the slots it governs that no acceptor of the older one saw. Reports from any
 * acceptor count (each is a value some leader proposed in that ballot), which is why the proposals
 * are taken from all of them.
 *
 * `unsafe.oneConfigOnly` is the `phase1-in-one-config` variant: a majority of `config` is enough.
 */
export function planRecovery<C>(
  promises: ReadonlyMap<NodeId, PromiseReport<C>>,
  afterSlot: number,
  config: MultiPaxosConfig,
  own: readonly AcceptedSlot<C>[],
  unsafe: { readonly trustOwnLogOnly: boolean; readonly oneConfigOnly: boolean },
): RecoveryPlan<C> {
  const promisers = new Set<NodeId>();
  const reports: (readonly AcceptedSlot<C>[])[] = [];
  for (const [id, report] of promises)
    if (report.fromSlot <= afterSlot + 1) {
      promisers.add(id);
      reports.push(report.accepted);
    }
  if (!majorityQuorum(config.voters).isQuorum(promisers))
    return { complete: false, waitingFor: config };
  const proposals = recoveryProposals(reports, own, afterSlot, unsafe.trustOwnLogOnly);
  if (unsafe.oneConfigOnly) return { complete: true, proposals };
  for (const { value } of proposals)
    if (isConfigValue(value) && !majorityQuorum(value.config.voters).isQuorum(promisers))
      return { complete: false, waitingFor: value.config };
  return { complete: true, proposals };
}
