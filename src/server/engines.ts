import { SynodError } from '../core/errors.js';
import type { NodeId } from '../core/ids.js';
import type { NodeContext, NodeInspection, ProtocolMessage } from '../core/protocol.js';
import type { ReplicatedLog } from '../core/replicated-log.js';
import { membersOf } from '../protocols/multipaxos/config.js';
import { MultiPaxosEngine } from '../protocols/multipaxos/engine.js';
import type { MultiPaxosRecord } from '../protocols/multipaxos/messages.js';
import { parseMultiPaxosOptions } from '../protocols/multipaxos/options.js';
import type { RaftMessageType } from '../protocols/raft/messages.js';
import { mayPrecedeOwnWrite } from '../protocols/raft/messages.js';
import { parseRaftOptions } from '../protocols/raft/options.js';
import { allMembers } from '../protocols/raft/config.js';
import { RaftNode } from '../protocols/raft/raft.js';
import type { RaftRecord } from '../protocols/raft/records.js';

/**
 * A replicated-log engine as the server drives it: the `ReplicatedLog` contract plus the few facts
 * the API reports (etcd's raft term and index). The API layer sees only this, so a new engine
 * (Multi-Paxos, ZAB) plugs in with one entry in `SERVER_ENGINES` and no change elsewhere.
 */
export interface ServerEngine<C> {
  readonly log: ReplicatedLog<C, ProtocolMessage, unknown>;
  /** The engine's epoch as a number (Raft's term), for `raft_term` in response headers. */
  term(): number;
  /** The highest log index known committed (etcd's `raftIndex`); undefined: report the applied index. */
  committedIndex(): number | undefined;
  /** Compact the log after this many applied entries (0: never). */
  readonly snapshotEveryEntries: number;
  /** … or after this many bytes of applied commands (0: entries only). */
  readonly snapshotEveryBytes: number;
  /** Hands leadership to `to`; false when this engine cannot (not the leader, no such member). */
  transferLeadership(to: NodeId): boolean;
  /**
   * Whether `message` may be sent before this node's writes of the same batch are durable (a Raft
   * leader's appends); everything else is sent once they are. Absent: nothing is sent early.
   */
  readonly sendsBeforeWrite?: (message: ProtocolMessage) => boolean;
  /**
   * Whether `message` carries a snapshot, and so may be hundreds of megabytes: the transport sends
   * it in pieces, behind the other messages (piece-stream.ts). Absent: none does.
   */
  readonly carriesSnapshot?: (message: ProtocolMessage) => boolean;
  /** Membership changes, for engines that can make them; undefined when the engine cannot. */
  readonly membership: EngineMembership | undefined;
  /** What the live-state endpoint shows of this member: the same view the visualizer draws. */
  describe(): EngineDescription;
}

/** A follower's log as its leader tracks it (Raft's progress). */
export interface FollowerProgress {
  readonly nodeId: NodeId;
  /** The highest index known replicated on the follower. */
  readonly match: number;
  /** The next index the leader will send it. */
  readonly next: number;
}

export interface EngineDescription {
  /** The engine's `inspect()`, as the visualizer reads a simulated node's, its log cut short. */
  readonly inspection: NodeInspection;
  /** The first index still in the log (after the last compaction) and the last one. */
  readonly firstIndex: number;
  readonly lastIndex: number;
  /** Filled only on a leader that tracks its followers. */
  readonly followers: readonly FollowerProgress[];
}

/**
 * Log entries a description carries: the visualizer draws at most 14, and the endpoint is polled
 * several times a second, so a long log must not make every answer long.
 */
export const DESCRIBED_LOG_ENTRIES_MAX = 32;

function withShortLog(inspection: NodeInspection): NodeInspection {
  const log = inspection.state['log'];
  if (!Array.isArray(log) || log.length <= DESCRIBED_LOG_ENTRIES_MAX) return inspection;
  return {
    ...inspection,
    state: { ...inspection.state, log: log.slice(-DESCRIBED_LOG_ENTRIES_MAX) },
  };
}

function numberIn(record: Readonly<Record<string, unknown>>, key: string): number {
  const value = record[key];
  return typeof value === 'number' ? value : 0;
}

/** Voters and learners by node id. */
export interface EngineConfig {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

/** What the server needs of an engine to change its membership (Raft's conf changes). */
export interface EngineMembership {
  /**
   * The configuration in force; `settled` is false while a change is uncommitted or joint;
   * `members` is everyone it replicates to (both halves of a joint configuration, learners).
   */
  config(): EngineConfig & { readonly settled: boolean; readonly members: readonly NodeId[] };
  /** Proposes a new configuration; an error text when it cannot now (not the leader, a change in flight). */
  propose(target: EngineConfig): string | undefined;
  /** At the leader: the highest log index known stored on `nodeId`; undefined elsewhere. */
  matchOf(nodeId: NodeId): number | undefined;
}

export interface EngineFactory {
  readonly name: string;
  readonly description: string;
  /** The engine's options for a server (the simulator's defaults suit small, fast runs). */
  readonly serverOptions: Readonly<Record<string, unknown>>;
  /** Whether members can be added, removed and promoted (the engine has `membership`). */
  readonly canChangeMembership: boolean;
  /** The engine's options for a heartbeat and election timeout given in ticks. */
  timingOptions(electionTicks: number, heartbeatTicks: number): Readonly<Record<string, unknown>>;
  create<C>(context: NodeContext<unknown>): ServerEngine<C>;
}

/**
 * Applied entries between snapshots (etcd's --snapshot-count default, 100,000): a snapshot writes
 * the whole MVCC state (in the background, see docs/server.md), so it is taken rarely enough that
 * its cost stays small per write and often enough that a restart replays a short log.
 */
export const SNAPSHOT_EVERY_ENTRIES = 100_000;
/**
 * Or after this many bytes of applied commands, so that large values do not grow the log (and the
 * replay after a restart) without bound between two snapshots.
 */
export const SNAPSHOT_EVERY_BYTES = 64 * 1024 * 1024;

const raftEngine: EngineFactory = {
  name: 'raft',
  description: 'Raft with Pre-Vote, CheckQuorum, ReadIndex reads and snapshots (the default)',
  serverOptions: {
    snapshotEveryEntries: SNAPSHOT_EVERY_ENTRIES,
    // An append carries about 1 MiB of entries (etcd's MaxSizePerMsg; at least one entry, so a
    // 1.5 MiB request still goes), and at most 4 MiB of them wait unacknowledged per follower. A
    // follower catching up from far behind would otherwise be sent the whole window (64 appends)
    // in one step, each stringified at once: seconds of a stopped leader. A healthy follower holds
    // a few hundred kilobytes unacknowledged at full load.
    maxBytesPerMessage: 1024 * 1024,
    maxInflightBytes: 4 * 1024 * 1024,
  },
  canChangeMembership: true,
  timingOptions: (electionTicks, heartbeatTicks) => ({ electionTicks, heartbeatTicks }),
  create<C>(context: NodeContext<unknown>): ServerEngine<C> {
    const options = parseRaftOptions(context.options);
    const raft = new RaftNode<C>(context as NodeContext<RaftRecord<C>>);
    return {
      log: raft as unknown as ReplicatedLog<C, ProtocolMessage, unknown>,
      term: () => raft.term,
      committedIndex: () => raft.log.committed,
      snapshotEveryEntries: options.snapshotEveryEntries,
      snapshotEveryBytes: SNAPSHOT_EVERY_BYTES,
      transferLeadership: (to) => raft.transferLeadership(to),
      sendsBeforeWrite: (message) => mayPrecedeOwnWrite(message.type as RaftMessageType),
      carriesSnapshot: (message) => message.type === 'snapshot',
      describe: () => {
        const inspection = raft.inspect();
        const progress = inspection.state['progress'] as Readonly<
          Record<string, Readonly<Record<string, unknown>>>
        >;
        const followers = Object.entries(progress)
          .filter(([id]) => Number(id) !== context.id)
          .map(([id, tracked]) => ({
            nodeId: Number(id),
            match: numberIn(tracked, 'match'),
            next: numberIn(tracked, 'next'),
          }));
        return {
          inspection: withShortLog(inspection),
          firstIndex: raft.log.firstIndex(),
          lastIndex: raft.log.lastIndex(),
          followers,
        };
      },
      membership: {
        config: () => {
          const config = raft.tracker.config;
          return {
            voters: config.voters,
            learners: config.learners,
            members: allMembers(config),
            settled:
              config.outgoing.length === 0 && raft.log.lastConfigIndex() <= raft.log.committed,
          };
        },
        propose: (target) => raft.proposeConfigChange(target),
        matchOf: (nodeId) =>
          raft.role === 'leader' ? raft.tracker.progress.get(nodeId)?.match : undefined,
      },
    };
  },
};

/**
 * Multi-Paxos: one phase 1 per leadership, then one accept round per batch of slots; reads are
 * leader-confirmed barriers. It does not forward proposals (the runtime forwards them to the
 * leader's runtime), nor transfer leadership. Its epoch is the ballot's round. Membership changes
 * are configurations chosen in the log (src/protocols/multipaxos/README.md).
 */
const multiPaxosEngine: EngineFactory = {
  name: 'multipaxos',
  description:
    'Multi-Paxos with leader leases, batching, pipelining, read barriers and membership changes',
  // A slot's batch, a catch-up and a retransmission carry about 1 MiB of commands, as Raft's appends
  // do: large values otherwise make messages over the transport's frame limit.
  serverOptions: { snapshotEveryEntries: SNAPSHOT_EVERY_ENTRIES, messageBytesMax: 1024 * 1024 },
  canChangeMembership: true,
  // The acceptors' lease keeps its default share (6 of 10) of the election timeout.
  timingOptions: (electionTicks, heartbeatTicks) => ({
    electionTicks,
    heartbeatTicks,
    leaseTicks: Math.max(1, Math.round(0.6 * electionTicks)),
  }),
  create<C>(context: NodeContext<unknown>): ServerEngine<C> {
    // A joining member boots with no members (`join` is Raft's word for it; Paxos needs no option).
    const engineOptions = Object.fromEntries(
      Object.entries(context.options).filter(([name]) => name !== 'join'),
    );
    const options = parseMultiPaxosOptions(engineOptions);
    const engine = new MultiPaxosEngine<C>({
      ...(context as NodeContext<MultiPaxosRecord<C>>),
      options: engineOptions,
    });
    return {
      log: engine as unknown as ReplicatedLog<C, ProtocolMessage, unknown>,
      term: () => Math.max(engine.ballot.round, engine.acceptor.promised.round),
      // Multi-Paxos counts slots (batches), not entries: report the applied index instead.
      committedIndex: () => undefined,
      snapshotEveryEntries: options.snapshotEveryEntries,
      snapshotEveryBytes: SNAPSHOT_EVERY_BYTES,
      transferLeadership: () => false,
      // A promise or a catch-up holds the sender's snapshot when the receiver is behind it.
      carriesSnapshot: (message) =>
        (message.type === 'promise' || message.type === 'catch-up') &&
        (message as { readonly snapshot?: unknown }).snapshot !== null,
      membership: {
        config: () => {
          const { config, settled } = engine.configuration();
          return {
            voters: config.voters,
            learners: config.learners,
            // Across a change the leader still sends to the members of the configuration in force.
            members: [...new Set([...membersOf(config), ...membersOf(engine.log.config)])].sort(
              (a, b) => a - b,
            ),
            // Settled also means applied: the keeper derives the next change from the applied state.
            settled: settled && engine.log.emittedSlot >= engine.log.commitSlot,
          };
        },
        propose: (target) => engine.proposeConfigChange(target),
        // Slots, not entries, on both sides of the learner check's comparison.
        matchOf: (nodeId) => engine.chosenSlotOf(nodeId),
      },
      describe: () => {
        const inspection = engine.inspect();
        const state = inspection.state;
        // Slots, not entries: a slot holds a batch of commands.
        return {
          inspection,
          firstIndex: numberIn(state, 'snapshotSlot') + 1,
          lastIndex: Math.max(numberIn(state, 'commitSlot'), numberIn(state, 'nextSlot') - 1),
          followers: [],
        };
      },
    };
  },
};

export const SERVER_ENGINES: readonly EngineFactory[] = [raftEngine, multiPaxosEngine];

export function findEngine(name: string): EngineFactory {
  const engine = SERVER_ENGINES.find((candidate) => candidate.name === name);
  if (engine === undefined)
    throw new SynodError(
      'SERVER_BAD_FLAG',
      `--engine "${name}" is not a server engine (available: ${SERVER_ENGINES.map((e) => e.name).join(', ')})`,
    );
  return engine;
}
