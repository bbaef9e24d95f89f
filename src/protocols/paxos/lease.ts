import { assert, unreachable } from '../../core/assert.js';
import {
  type Ballot,
  ZERO_BALLOT,
  ballotEquals,
  ballotGreater,
  compareBallots,
  formatBallot,
  maxBallot,
  nextBallot,
} from '../../core/ballot.js';
import { US_PER_MS } from '../../core/clock.js';
import { SynodError } from '../../core/errors.js';
import type { NodeId } from '../../core/ids.js';
import type {
  ClusterView,
  InvariantChecker,
  InvariantViolation,
  NodeContext,
  NodeInspection,
  ProtocolDefinition,
  ProtocolNode,
  Ready,
} from '../../core/protocol.js';
import { emptyReady, isReadyEmpty } from '../../core/protocol.js';
import { ThresholdQuorum } from '../../core/quorum.js';
import type { Rng } from '../../core/rng.js';

/**
 * PaxosLease (Trencseni, Gazsó, Reinhardt 2009): leadership for a bounded time, granted by a
 * majority of acceptors, with **no disk writes**. The lease is the Paxos value (owner, duration);
 * acceptors forget an accepted lease when their own timer for it runs out, and a proposer may only
 * propose itself when no promise in its majority reports an open lease of someone else.
 *
 * Safety needs no synchronized clocks, only a bound on how fast clocks run relative to each other:
 * every clock's rate is within ±`driftPpmMax` of true time. The holder starts its timer *before*
 * its prepare leaves, and the acceptors start theirs *after* they accept, so the holder's lease
 * ends first provided it holds for `T·(1−ρ)/(1+ρ)` of its own clock where acceptors wait `T` of
 * theirs (ρ = driftPpmMax/10⁶). A restarted acceptor (which forgot everything) stays silent for `T`
 * so it cannot help a second proposer while a lease it granted may still be held.
 * Clock *jumps* (a changed offset) are outside this bound.
 */
export type LeaseMessage =
  | { readonly type: 'lease-prepare'; readonly ballot: Ballot }
  | {
      readonly type: 'lease-promise';
      readonly ballot: Ballot;
      /** The open lease this acceptor accepted, if its timer has not run out. */
      readonly lease: { readonly ballot: Ballot; readonly owner: NodeId } | null;
    }
  | { readonly type: 'lease-rejected'; readonly ballot: Ballot; readonly lastRnd: Ballot }
  | {
      readonly type: 'lease-propose';
      readonly ballot: Ballot;
      readonly owner: NodeId;
      readonly durationUs: number;
    }
  | { readonly type: 'lease-accepted'; readonly ballot: Ballot };

/** PaxosLease writes nothing to disk. */
export type LeaseRecord = never;

export const LEASE_VARIANTS = [
  {
    name: 'default',
    unsafe: false,
    description:
      'PaxosLease: no disk writes; safe while clock rates stay within ±driftPpmMax of true time.',
  },
  {
    name: 'no-drift-margin',
    unsafe: true,
    description:
      'The holder keeps the lease for the full duration on its own clock: a slow holder clock or a fast acceptor clock lets two nodes hold it.',
  },
  {
    name: 'no-restart-wait',
    unsafe: true,
    description:
      'A restarted acceptor answers at once, although it forgot the lease it granted before the crash.',
  },
] as const;

type LeaseVariant = (typeof LEASE_VARIANTS)[number]['name'];

export interface LeaseOptions {
  /** T: how long acceptors keep an accepted lease, on their own clocks. */
  readonly leaseDurationMs: number;
  /** The stated bound on clock-rate drift, in parts per million. */
  readonly driftPpmMax: number;
  /** An attempt with no outcome after this many ticks is abandoned. */
  readonly attemptTimeoutTicks: number;
  /** A node without the lease tries again after a random wait in [1, retryTicksMax]. */
  readonly retryTicksMax: number;
}

const DEFAULT_LEASE_OPTIONS: LeaseOptions = {
  leaseDurationMs: 500,
  driftPpmMax: 50_000,
  attemptTimeoutTicks: 10,
  retryTicksMax: 30,
};

function parseLeaseOptions(raw: Readonly<Record<string, unknown>>): LeaseOptions {
  const result: Record<string, number> = { ...DEFAULT_LEASE_OPTIONS };
  for (const [key, value] of Object.entries(raw)) {
    if (!(key in DEFAULT_LEASE_OPTIONS))
      throw new SynodError(
        'BAD_OPTION',
        `unknown paxos-lease option "${key}" (known: ${Object.keys(DEFAULT_LEASE_OPTIONS).join(', ')})`,
      );
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
      throw new SynodError('BAD_OPTION', `paxos-lease option "${key}" must be a positive integer`);
    result[key] = value;
  }
  const options = result as unknown as LeaseOptions;
  if (options.driftPpmMax >= 1_000_000)
    throw new SynodError('BAD_OPTION', 'paxos-lease driftPpmMax must be below 1,000,000');
  return options;
}

interface Attempt {
  readonly ballot: Ballot;
  /** Local time when the prepare left: the holder's lease is measured from here. */
  readonly startUs: number;
  readonly deadlineTick: number;
  phase: 'preparing' | 'proposing';
  readonly promised: Set<NodeId>;
  readonly accepted: Set<NodeId>;
  openLeaseOfOther: boolean;
}

/** One PaxosLease node: proposer and acceptor. All state is volatile. */
export class LeaseNode implements ProtocolNode<LeaseMessage, LeaseRecord> {
  readonly id: NodeId;
  readonly variant: LeaseVariant;
  readonly options: LeaseOptions;
  private readonly quorum: ThresholdQuorum;
  private readonly rng: Rng;
  private nowTick = 0;
  private batch: Ready<LeaseMessage, LeaseRecord> = emptyReady();
  // Acceptor.
  private promised: Ballot = ZERO_BALLOT;
  private accepted: { ballot: Ballot; owner: NodeId; expiresAtUs: number } | undefined;
  private readonly silentUntilUs: number;
  // Proposer.
  private highestSeen: Ballot = ZERO_BALLOT;
  private attempt: Attempt | undefined;
  private nextAttemptTick: number;
  private heldUntilUs: number | undefined;
  private readonly localInbox: { from: NodeId; message: LeaseMessage }[] = [];

  constructor(private readonly context: NodeContext<LeaseRecord>) {
    const variant = context.variant;
    assert(
      LEASE_VARIANTS.some((known) => known.name === variant),
      `unknown paxos-lease variant "${variant}"`,
    );
    this.id = context.id;
    this.variant = variant as LeaseVariant;
    this.options = parseLeaseOptions(context.options);
    this.quorum = new ThresholdQuorum(context.members);
    this.rng = context.rng.split('lease');
    this.silentUntilUs = this.variant === 'no-restart-wait' ? 0 : this.nowUs() + this.durationUs();
    this.nextAttemptTick = this.rng.int(1, this.options.retryTicksMax);
  }

  /** True while this node holds the lease, by its own clock. */
  holdsLease(): boolean {
    return this.heldUntilUs !== undefined && this.nowUs() < this.heldUntilUs;
  }

  step(from: NodeId, message: LeaseMessage): void {
    this.dispatch(from, message);
    this.drainLocal();
  }

  tick(): void {
    this.nowTick++;
    const now = this.nowUs();
    if (this.accepted !== undefined && now >= this.accepted.expiresAtUs) this.accepted = undefined;
    if (this.heldUntilUs !== undefined && now >= this.heldUntilUs) {
      this.heldUntilUs = undefined;
      this.note('lease-expired', `${this.id} no longer holds the lease`);
    }
    if (this.attempt !== undefined && this.nowTick >= this.attempt.deadlineTick) this.giveUp();
    if (this.attempt === undefined && this.wantsAttempt(now)) this.startAttempt(now);
    this.drainLocal();
  }

  hasReady(): boolean {
    return !isReadyEmpty(this.batch);
  }

  ready(): Ready<LeaseMessage, LeaseRecord> {
    const batch = this.batch;
    this.batch = emptyReady();
    return batch;
  }

  inspect(): NodeInspection {
    const now = this.nowUs();
    const holding = this.holdsLease();
    return {
      role: holding ? 'lease holder' : 'proposer+acceptor',
      epoch: { name: 'ballot', value: formatBallot(maxBallot(this.promised, this.highestSeen)) },
      leader: holding ? this.id : (this.accepted?.owner ?? null),
      state: {
        promised: formatBallot(this.promised),
        accepted:
          this.accepted === undefined
            ? null
            : {
                owner: this.accepted.owner,
                ballot: formatBallot(this.accepted.ballot),
                remainingMs: Math.max(0, (this.accepted.expiresAtUs - now) / US_PER_MS),
              },
        holdingForMs: holding ? ((this.heldUntilUs ?? now) - now) / US_PER_MS : 0,
        silent: now < this.silentUntilUs,
      },
    };
  }

  private durationUs(): number {
    return this.options.leaseDurationMs * US_PER_MS;
  }

  /** How long the holder may use the lease on its own clock (see the class comment). */
  private holdUs(): number {
    if (this.variant === 'no-drift-margin') return this.durationUs();
    const rho = this.options.driftPpmMax / 1_000_000;
    return Math.floor((this.durationUs() * (1 - rho)) / (1 + rho));
  }

  /** Renew at half the holding time; otherwise try when the retry timer fires. */
  private wantsAttempt(now: number): boolean {
    if (this.heldUntilUs !== undefined) return this.heldUntilUs - now < this.holdUs() / 2;
    return this.nowTick >= this.nextAttemptTick;
  }

  private startAttempt(now: number): void {
    const ballot = nextBallot('counter', this.id, this.highestSeen);
    this.highestSeen = ballot;
    this.attempt = {
      ballot,
      startUs: now,
      deadlineTick: this.nowTick + this.options.attemptTimeoutTicks,
      phase: 'preparing',
      promised: new Set(),
      accepted: new Set(),
      openLeaseOfOther: false,
    };
    for (const to of this.context.members) this.send(to, { type: 'lease-prepare', ballot });
  }

  private giveUp(): void {
    this.attempt = undefined;
    this.nextAttemptTick = this.nowTick + this.rng.int(1, this.options.retryTicksMax);
  }

  private dispatch(from: NodeId, message: LeaseMessage): void {
    switch (message.type) {
      case 'lease-prepare':
        return this.onPrepare(from, message.ballot);
      case 'lease-propose':
        return this.onPropose(from, message.ballot, message.owner, message.durationUs);
      case 'lease-promise':
        return this.onPromise(from, message.ballot, message.lease);
      case 'lease-accepted':
        return this.onAccepted(from, message.ballot);
      case 'lease-rejected':
        this.highestSeen = maxBallot(this.highestSeen, message.lastRnd);
        if (this.attempt !== undefined && ballotEquals(this.attempt.ballot, message.ballot))
          this.giveUp();
        return;
      default:
        unreachable(message, 'lease message');
    }
  }

  private onPrepare(from: NodeId, ballot: Ballot): void {
    const now = this.nowUs();
    if (now < this.silentUntilUs) return; // just restarted: may have forgotten a granted lease
    if (this.accepted !== undefined && now >= this.accepted.expiresAtUs) this.accepted = undefined;
    if (!ballotGreater(ballot, this.promised)) {
      this.send(from, { type: 'lease-rejected', ballot, lastRnd: this.promised });
      return;
    }
    this.promised = ballot;
    const lease =
      this.accepted === undefined
        ? null
        : { ballot: this.accepted.ballot, owner: this.accepted.owner };
    this.send(from, { type: 'lease-promise', ballot, lease });
  }

  private onPropose(from: NodeId, ballot: Ballot, owner: NodeId, durationUs: number): void {
    const now = this.nowUs();
    if (now < this.silentUntilUs) return;
    if (compareBallots(ballot, this.promised) < 0) {
      this.send(from, { type: 'lease-rejected', ballot, lastRnd: this.promised });
      return;
    }
    this.promised = ballot;
    this.accepted = { ballot, owner, expiresAtUs: now + durationUs }; // the timer starts on receipt
    this.send(from, { type: 'lease-accepted', ballot });
  }

  private onPromise(
    from: NodeId,
    ballot: Ballot,
    lease: { readonly ballot: Ballot; readonly owner: NodeId } | null,
  ): void {
    const attempt = this.attempt;
    if (attempt === undefined || attempt.phase !== 'preparing') return;
    if (!ballotEquals(ballot, attempt.ballot)) return;
    attempt.promised.add(from);
    if (lease !== null && lease.owner !== this.id) attempt.openLeaseOfOther = true;
    if (!this.quorum.isQuorum(attempt.promised)) return;
    if (attempt.openLeaseOfOther) {
      this.giveUp(); // someone holds it; try again later
      return;
    }
    attempt.phase = 'proposing';
    for (const to of this.context.members)
      this.send(to, {
        type: 'lease-propose',
        ballot: attempt.ballot,
        owner: this.id,
        durationUs: this.durationUs(),
      });
  }

  private onAccepted(from: NodeId, ballot: Ballot): void {
    const attempt = this.attempt;
    if (attempt === undefined || attempt.phase !== 'proposing') return;
    if (!ballotEquals(ballot, attempt.ballot)) return;
    attempt.accepted.add(from);
    if (!this.quorum.isQuorum(attempt.accepted)) return;
    const wasHolding = this.holdsLease();
    this.heldUntilUs = attempt.startUs + this.holdUs();
    this.attempt = undefined;
    this.note(
      wasHolding ? 'lease-renewed' : 'lease-acquired',
      `${this.id} holds the lease for ${Math.round(this.holdUs() / US_PER_MS)} ms (ballot ${formatBallot(ballot)})`,
    );
  }

  private note(kind: string, text: string): void {
    this.batch.notes.push({ kind, text });
  }

  private send(to: NodeId, message: LeaseMessage): void {
    if (to === this.id) this.localInbox.push({ from: this.id, message });
    else this.batch.messages.push({ from: this.id, to, message });
  }

  private drainLocal(): void {
    for (let count = 0; this.localInbox.length > 0; count++) {
      assert(count < 10_000, 'local message loop did not settle');
      const next = this.localInbox.shift();
      if (next !== undefined) this.dispatch(next.from, next.message);
    }
  }

  private nowUs(): number {
    return this.context.clock.nowUs();
  }
}

/** At most one node holds the lease at any instant of true time. */
export class LeaseInvariantChecker implements InvariantChecker<LeaseNode> {
  check(view: ClusterView<LeaseNode>): InvariantViolation | undefined {
    const holders = view.nodes
      .filter(({ node }) => node !== undefined && node.holdsLease())
      .map(({ id }) => id);
    if (holders.length <= 1) return undefined;
    return {
      invariant: 'lease-exclusive',
      message: `nodes ${holders.join(' and ')} hold the lease at the same time`,
      nodes: holders,
    };
  }
}

export const paxosLeaseDefinition: ProtocolDefinition<LeaseMessage, LeaseRecord, LeaseNode> = {
  name: 'paxos-lease',
  summary: 'PaxosLease: a time-bounded leadership granted by a majority, with no disk writes.',
  variants: LEASE_VARIANTS,
  serves: 'none',
  defaultNodes: 3,
  create: (context) => new LeaseNode(context),
  createInvariantChecker: () => new LeaseInvariantChecker(),
};
