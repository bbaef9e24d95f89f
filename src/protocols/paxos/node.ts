import { assert, unreachable } from '../../core/assert.js';
import { type Ballot, ZERO_BALLOT, formatBallot, maxBallot } from '../../core/ballot.js';
import { US_PER_MS } from '../../core/clock.js';
import { type NodeId, isNodeId } from '../../core/ids.js';
import type { NodeContext, NodeInspection, ProtocolNode, Ready } from '../../core/protocol.js';
import { emptyReady, isReadyEmpty } from '../../core/protocol.js';
import { ThresholdQuorum } from '../../core/quorum.js';
import { SynodError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import { Acceptor } from './acceptor.js';
import type { PaxosCheckable } from './invariants.js';
import { Learner } from './learner.js';
import type {
  AcceptedProposal,
  Effects,
  PaxosMessage,
  PaxosRecord,
  PaxosValue,
} from './messages.js';
import { valueKey } from './messages.js';
import {
  type PaxosOptions,
  type PaxosVariant,
  isPaxosVariant,
  parsePaxosOptions,
  quorumSizeFor,
} from './options.js';
import { Proposer, type StartOptions } from './proposer.js';

/** Single-decree Paxos uses one instance. */
export const SINGLE_DECREE_INSTANCE = 0;

/** Messages a node sends to itself are handled in place; this bounds that loop. */
const LOCAL_DELIVERIES_MAX = 10_000;

/**
 * One node of single-decree Paxos, playing any of the three roles. It owns no I/O: the roles write
 * their effects into the current batch, and `ready()` hands the batch to the driver, which persists
 * (and, unless the variant is `reply-before-persist`, syncs) before it sends.
 */
export class PaxosNode implements ProtocolNode<PaxosMessage, PaxosRecord>, PaxosCheckable {
  readonly id: NodeId;
  readonly variant: PaxosVariant;
  readonly options: PaxosOptions;
  readonly acceptor: Acceptor | undefined;
  readonly proposer: Proposer | undefined;
  readonly learner: Learner | undefined;
  readonly acceptors: readonly NodeId[];
  readonly learners: readonly NodeId[];
  readonly relayLearners: readonly NodeId[];
  private nowTick = 0;
  private readonly proposeAtTick: number | undefined;
  private reproposeAtTick: number | undefined;
  private readonly reproposeRng: Rng;
  private batch: Ready<PaxosMessage, PaxosRecord> = emptyReady();
  private readonly localInbox: { from: NodeId; message: PaxosMessage }[] = [];
  private readonly effects: Effects;
  /** Counts persisted records: the invariant checker skips a node whose count did not move. */
  private persistedRecords = 0;

  constructor(private readonly context: NodeContext<PaxosRecord>) {
    assert(isPaxosVariant(context.variant), `unknown paxos variant "${context.variant}"`);
    this.id = context.id;
    this.variant = context.variant;
    this.options = parsePaxosOptions(context.options);
    const members = context.members;
    this.acceptors = this.options.acceptors ?? members;
    this.learners = this.options.learners ?? members;
    this.relayLearners = this.relaysFor(this.options);
    const quorum = new ThresholdQuorum(
      this.acceptors,
      quorumSizeFor(this.variant, this.acceptors.length),
    );
    this.effects = {
      send: (to, message) => this.send(to, message),
      persist: (record) => {
        this.persistedRecords++;
        this.batch.persist.push({ kind: 'append', records: [record] });
      },
      note: (kind, text, data) => this.batch.notes.push({ kind, text, data }),
    };
    this.acceptor = this.acceptors.includes(this.id) ? new Acceptor(this.id) : undefined;
    this.learner = this.learners.includes(this.id) ? new Learner(this.id, quorum) : undefined;
    const isProposer = (this.options.proposers ?? members).includes(this.id);
    this.proposer = isProposer
      ? new Proposer(
          {
            id: this.id,
            instance: SINGLE_DECREE_INSTANCE,
            acceptors: this.acceptors,
            quorum,
            ignoreAccepted: this.variant === 'ignore-accepted',
            ballotScheme: this.options.ballotScheme,
            phaseTimeoutTicks: this.options.phaseTimeoutTicks,
            backoff: this.options.backoff,
            backoffTicksBase: this.options.backoffTicksBase,
            backoffTicksMax: this.options.backoffTicksMax,
          },
          context.rng.split('backoff'),
        )
      : undefined;
    this.reproposeRng = context.rng.split('repropose');
    this.restore(context.restored);
    this.proposeAtTick =
      this.proposer !== undefined && this.options.autoPropose
        ? context.rng.split('start').int(1, this.options.proposeDelayTicksMax)
        : undefined;
  }

  /** The value this node proposes when it is a proposer. */
  ownValue(): PaxosValue {
    if (this.options.proposeSelf) return this.id;
    return this.options.values?.[String(this.id)] ?? `v${this.id}`;
  }

  /** Start proposing now (scripted examples and tests; the simulator uses `autoPropose`). */
  propose(value: PaxosValue = this.ownValue(), options: StartOptions = {}): void {
    assert(this.proposer !== undefined, `node ${this.id} is not a proposer`);
    this.proposer.propose(value, this.nowTick, this.nowMs(), this.effects, options);
    this.drainLocal();
  }

  step(from: NodeId, message: PaxosMessage): void {
    this.dispatch(from, message);
    this.drainLocal();
  }

  tick(): void {
    this.nowTick++;
    const proposer = this.proposer;
    if (proposer !== undefined) {
      if (this.proposeAtTick === this.nowTick && proposer.phase === 'idle')
        proposer.propose(this.ownValue(), this.nowTick, this.nowMs(), this.effects);
      else if (this.reproposeDue(proposer)) {
        proposer.reopen();
        proposer.propose(this.ownValue(), this.nowTick, this.nowMs(), this.effects);
      } else proposer.tick(this.nowTick, this.nowMs(), this.effects);
    }
    this.drainLocal();
  }

  /** Self-driven proposers re-run Paxos a while after each outcome they learn (see options.ts). */
  private reproposeDue(proposer: Proposer): boolean {
    const every = this.options.reproposeEveryTicks;
    if (!this.options.autoPropose || every === 0 || proposer.phase !== 'done') {
      this.reproposeAtTick = undefined;
      return false;
    }
    if (this.reproposeAtTick === undefined)
      this.reproposeAtTick =
        this.nowTick + this.reproposeRng.int(Math.ceil(every / 2), every + Math.floor(every / 2));
    if (this.nowTick < this.reproposeAtTick) return false;
    this.reproposeAtTick = undefined;
    return true;
  }

  hasReady(): boolean {
    return !isReadyEmpty(this.batch);
  }

  ready(): Ready<PaxosMessage, PaxosRecord> {
    const batch = this.batch;
    batch.sync = this.variant !== 'reply-before-persist';
    this.batch = emptyReady();
    return batch;
  }

  stateVersion(): number {
    return this.persistedRecords;
  }

  acceptedEntries(): (readonly [number, AcceptedProposal | null])[] {
    return (this.acceptor?.entries() ?? []).map(
      ([instance, state]) => [instance, state.accepted] as const,
    );
  }

  learnedEntries(): [number, PaxosValue][] {
    return this.learner?.entries() ?? [];
  }

  proposedValues(): PaxosValue[] {
    const value = this.proposer?.ownValue;
    return value === undefined ? [] : [value];
  }

  /** The value this node learned as chosen, if any. */
  learned(instance = SINGLE_DECREE_INSTANCE): PaxosValue | undefined {
    return this.learner?.learned(instance);
  }

  inspect(): NodeInspection {
    const roles = [
      this.proposer === undefined ? undefined : 'proposer',
      this.acceptor === undefined ? undefined : 'acceptor',
      this.learner === undefined ? undefined : 'learner',
    ].filter((role) => role !== undefined);
    const acceptorState = this.acceptor?.state(SINGLE_DECREE_INSTANCE);
    const learned = this.learned();
    return {
      role: roles.join('+'),
      epoch: { name: 'ballot', value: formatBallot(this.highestBallot()) },
      ...(this.options.proposeSelf ? { leader: isNodeId(learned) ? learned : null } : {}),
      state: {
        ...(acceptorState === undefined
          ? {}
          : {
              promised: formatBallot(acceptorState.lastRnd),
              accepted:
                acceptorState.accepted === null
                  ? null
                  : {
                      ballot: formatBallot(acceptorState.accepted.ballot),
                      value: acceptorState.accepted.value,
                    },
            }),
        ...(this.proposer === undefined ? {} : { proposer: this.proposer.inspect() }),
        ...(this.learner === undefined ? {} : { learned: learned ?? null }),
      },
    };
  }

  private highestBallot(): Ballot {
    const promised = this.acceptor?.state(SINGLE_DECREE_INSTANCE).lastRnd ?? ZERO_BALLOT;
    return maxBallot(promised, this.proposer?.ballot ?? ZERO_BALLOT);
  }

  private dispatch(from: NodeId, message: PaxosMessage): void {
    if (message.instance !== SINGLE_DECREE_INSTANCE) return; // not ours: ignore, never throw
    switch (message.type) {
      case 'prepare':
        this.acceptor?.onPrepare(from, message.instance, message.ballot, this.effects);
        return;
      case 'accept':
        this.acceptor?.onAccept(
          from,
          message.instance,
          message.ballot,
          message.value,
          this.effects,
          (ballot, value) => this.tellLearners(message.instance, ballot, value),
        );
        return;
      case 'promise':
        this.proposer?.onPromise(
          from,
          message.ballot,
          message.accepted,
          this.nowTick,
          this.effects,
        );
        return;
      case 'prepare-rejected':
      case 'accept-rejected':
        this.proposer?.onRejected(
          from,
          message.ballot,
          message.lastRnd,
          this.nowTick,
          this.effects,
        );
        return;
      case 'accepted':
        this.proposer?.onAccepted(from, message.ballot, this.effects);
        return;
      case 'learn':
        this.onLearned(
          message.instance,
          this.learner?.onLearn(from, message.instance, message.ballot, message.value),
          true,
        );
        return;
      case 'chosen':
        this.onLearned(
          message.instance,
          this.learner?.onChosen(message.instance, message.value),
          false,
        );
        return;
      default:
        unreachable(message, 'paxos message');
    }
  }

  /** Acceptor side of learning: who hears of an accept depends on the learner scheme. */
  private tellLearners(instance: number, ballot: Ballot, value: PaxosValue): void {
    const targets = this.options.learnerScheme === 'all' ? this.learners : this.relayLearners;
    for (const to of targets) this.send(to, { type: 'learn', instance, ballot, value });
  }

  private onLearned(instance: number, value: PaxosValue | undefined, fromAcceptors: boolean): void {
    if (value === undefined) return;
    this.effects.persist({ kind: 'learned', instance, value });
    this.effects.note('learned', `${this.id} learned ${valueKey(value)}`, { instance, value });
    this.proposer?.learned(value);
    // A relay that learned from the acceptors passes the news on to the learners it stands for.
    if (!fromAcceptors || this.options.learnerScheme === 'all') return;
    if (!this.relayLearners.includes(this.id)) return;
    for (const to of this.learners)
      if (!this.relayLearners.includes(to)) this.send(to, { type: 'chosen', instance, value });
  }

  /** `distinguished`: one relay (the first given, or the first learner); `set`: the given ones, or two. */
  private relaysFor(options: PaxosOptions): readonly NodeId[] {
    if (options.learnerScheme === 'all') return [];
    const given = options.relayLearners;
    const relays =
      options.learnerScheme === 'distinguished'
        ? [given?.[0] ?? (this.learners[0] as NodeId)]
        : (given ?? this.learners.slice(0, 2));
    if (!relays.every((id) => this.learners.includes(id)))
      throw new SynodError(
        'BAD_OPTION',
        `paxos relayLearners ${relays.join(',')} must be learners`,
      );
    return relays;
  }

  private send(to: NodeId, message: PaxosMessage): void {
    if (to === this.id) this.localInbox.push({ from: this.id, message });
    else this.batch.messages.push({ from: this.id, to, message });
  }

  private drainLocal(): void {
    for (let count = 0; this.localInbox.length > 0; count++) {
      assert(count < LOCAL_DELIVERIES_MAX, 'local message loop did not settle');
      const next = this.localInbox.shift();
      if (next !== undefined) this.dispatch(next.from, next.message);
    }
  }

  private restore(records: readonly PaxosRecord[]): void {
    for (const record of records) {
      switch (record.kind) {
        case 'acceptor':
          this.acceptor?.restore(record);
          break;
        case 'proposer':
          this.proposer?.restoreRound(record.round);
          break;
        case 'learned':
          this.learner?.restore(record.instance, record.value);
          this.proposer?.learned(record.value);
          break;
        default:
          unreachable(record, 'paxos record');
      }
    }
  }

  private nowMs(): number {
    return Math.floor(this.context.clock.nowUs() / US_PER_MS);
  }
}
