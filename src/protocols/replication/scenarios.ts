import type { Scenario } from './scenario-types.js';

export type { Scenario, ScenarioStep } from './scenario-types.js';

/**
 * Seed 002's failures as deterministic schedules (data), one per strategy. The tests run each to
 * the end and assert its expectations; the visualizer replays them as guided tours. Seed 002 calls
 * its machines master / slave-1 / slave-2 and node-1..node-3; here they are nodes 0, 1 and 2.
 */

/** Failover after 3 silent ticks keeps the tours short. */
const QUICK_FAILOVER = { failoverTicks: 3 };

const asyncLostWrite: Scenario = {
  name: 'replication-async-lost-write',
  title: 'Asynchronous replication: an acknowledged write is lost on failover',
  description:
    'Seed 002: "the client is told its data is safe (OK) before the data really is safe (copied to every machine)". The primary acknowledges x=1, crashes before its next tick ships it, a backup takes over without it, and the old primary, back again, is overwritten.',
  variant: 'async',
  nodes: 3,
  options: QUICK_FAILOVER,
  steps: [
    {
      do: 'request',
      node: 0,
      id: 1,
      op: { f: 'put', key: 'x', value: '1' },
      say: 'The primary, node 0, stores x=1 on its own disk and answers OK at once; it ships on its next tick.',
    },
    { do: 'expect-response', id: 1, outcome: 'ok', result: { f: 'put', previous: null } },
    { do: 'crash', node: 0, say: 'Node 0 crashes before that tick: no backup ever saw x=1.' },
    {
      do: 'tick',
      count: 3,
      nodes: [1, 2],
      say: 'The backups hear nothing for 3 ticks and move to view 1, whose primary is node 1.',
    },
    { do: 'expect-role', node: 1, role: 'primary' },
    { do: 'deliver-all', say: 'Node 1 installs its log (without x) on node 2.' },
    { do: 'expect-violation', invariant: 'acknowledged-writes-survive' },
    {
      do: 'request',
      node: 1,
      id: 2,
      op: { f: 'get', key: 'x' },
      say: 'A client reads x from the new primary: the acknowledged write is gone.',
    },
    { do: 'expect-response', id: 2, outcome: 'ok', result: { f: 'get', value: null } },
    {
      do: 'restart',
      node: 0,
      say: 'Node 0 comes back still believing it is the primary of view 0, and sends its log to the backups.',
    },
    {
      do: 'deliver-all',
      say: 'The backups answer that the cluster is in view 1; node 0 steps down and takes node 1’s log: x=1 is gone from its disk too.',
    },
    { do: 'tick', count: 1, nodes: [1] },
    { do: 'deliver-all' },
    { do: 'expect-role', node: 0, role: 'backup' },
    { do: 'expect-state', node: 0, kv: {} },
  ],
};

const syncBackupDown: Scenario = {
  name: 'replication-sync-backup-down',
  title: 'Synchronous replication: one crashed backup stops every write',
  description:
    'Seed 002: "reliable: it answers only when all data has landed; but if any machine is down, writes cannot proceed". With node 2 down, a write waits until node 2 is back.',
  variant: 'default',
  nodes: 3,
  steps: [
    { do: 'crash', node: 2, say: 'Backup node 2 crashes.' },
    {
      do: 'request',
      node: 0,
      id: 1,
      op: { f: 'put', key: 'x', value: '1' },
      say: 'The primary stores x=1 and sends it to both backups.',
    },
    { do: 'deliver-all', say: 'Node 1 stores it and acknowledges; node 2 cannot.' },
    { do: 'expect-response', id: 1, outcome: 'none' },
    {
      do: 'tick',
      count: 5,
      say: 'The primary keeps resending; nothing changes while node 2 is down.',
    },
    { do: 'deliver-all' },
    { do: 'expect-response', id: 1, outcome: 'none' },
    {
      do: 'request',
      node: 0,
      id: 2,
      op: { f: 'get', key: 'x' },
      say: 'Reads still work: the primary holds x=1 durably and will not lose it (it never moves).',
    },
    { do: 'expect-response', id: 2, outcome: 'ok', result: { f: 'get', value: '1' } },
    { do: 'restart', node: 2, say: 'Node 2 comes back.' },
    { do: 'tick', count: 1, nodes: [0], say: 'The next resend reaches it.' },
    { do: 'deliver-all' },
    { do: 'expect-response', id: 1, outcome: 'ok', result: { f: 'put', previous: null } },
    { do: 'expect-no-violation' },
  ],
};

const semisyncSplitWrites: Scenario = {
  name: 'replication-semisync-split-writes',
  title: 'Semi-synchronous replication: A on backup 1, B on backup 2, nobody holds both',
  description:
    'Seed 002: "if the master copies A to slave-1 and B to slave-2 and crashes, no slave can provide the complete data". Each write is acknowledged after one backup stored it; after failover one of them is lost.',
  variant: 'semisync',
  nodes: 3,
  options: QUICK_FAILOVER,
  steps: [
    { do: 'request', node: 0, id: 1, op: { f: 'put', key: 'a', value: 'A' }, say: 'Write A.' },
    { do: 'drop', from: 0, to: 2, say: 'The copy of A to node 2 is lost.' },
    { do: 'deliver', from: 0, to: 1, say: 'Node 1 stores A.' },
    { do: 'deliver', from: 1, to: 0 },
    { do: 'expect-response', id: 1, outcome: 'ok', result: { f: 'put', previous: null } },
    { do: 'request', node: 0, id: 2, op: { f: 'put', key: 'b', value: 'B' }, say: 'Write B.' },
    { do: 'drop', from: 0, to: 1, say: 'The copy of B to node 1 is lost.' },
    { do: 'deliver', from: 0, to: 2, say: 'Node 2 stores B (entry 2, without entry 1).' },
    { do: 'deliver', from: 2, to: 0 },
    { do: 'expect-response', id: 2, outcome: 'ok', result: { f: 'put', previous: null } },
    { do: 'crash', node: 0, say: 'The primary crashes before any resend.' },
    { do: 'expect-state', node: 1, kv: { a: 'A' } },
    { do: 'expect-state', node: 2, kv: { b: 'B' } },
    { do: 'tick', count: 3, nodes: [1, 2], say: 'Node 1 takes over view 1 with A only.' },
    { do: 'deliver-all', say: 'Its install replaces node 2’s log: B is gone.' },
    { do: 'expect-violation', invariant: 'acknowledged-writes-survive' },
    { do: 'expect-state', node: 2, kv: { a: 'A' } },
    { do: 'request', node: 1, id: 3, op: { f: 'get', key: 'b' } },
    { do: 'expect-response', id: 3, outcome: 'ok', result: { f: 'get', value: null } },
  ],
};

const majorityTwoValues: Scenario = {
  name: 'replication-majority-two-values',
  title: 'Majority read/write: a reader sees two values and cannot decide',
  description:
    'Seed 002: "node-1 and node-2 wrote a=x, then node-2 and node-3 wrote a=y; a reader that reaches node-1 and node-2 sees two different values". With the link between nodes 0 and 2 cut, node 0’s majority is {0, 1} and node 2’s is {1, 2}.',
  variant: 'majority',
  nodes: 3,
  steps: [
    { do: 'cut', between: [0, 2], say: 'Nodes 0 and 2 cannot talk.' },
    { do: 'request', node: 0, id: 1, op: { f: 'put', key: 'a', value: 'x' } },
    { do: 'deliver-all', say: 'a=x lands on nodes 0 and 1, a majority.' },
    { do: 'expect-response', id: 1, outcome: 'ok', result: { f: 'put', previous: null } },
    { do: 'request', node: 2, id: 2, op: { f: 'put', key: 'a', value: 'y' } },
    { do: 'deliver-all', say: 'a=y lands on nodes 1 and 2, a majority; node 0 still has x.' },
    { do: 'expect-response', id: 2, outcome: 'ok' },
    { do: 'expect-state', node: 0, kv: { a: 'x' } },
    { do: 'expect-state', node: 1, kv: { a: 'y' } },
    {
      do: 'request',
      node: 0,
      id: 3,
      op: { f: 'get', key: 'a' },
      say: 'A reader at node 0 reads nodes 0 and 1: x and y, and nothing says which is newer.',
    },
    { do: 'deliver-all' },
    { do: 'expect-violation', invariant: 'one-value-per-majority' },
    {
      do: 'expect-response',
      id: 3,
      outcome: 'ok',
      result: { f: 'get', value: 'x' },
      say: 'It takes its own copy: x, after y was acknowledged — a stale read.',
    },
  ],
};

const lwwFlip: Scenario = {
  name: 'replication-lww-flip',
  title: 'Last writer wins: a writer that crashes after one copy makes reads flip',
  description:
    'Seed 002: "if a client crashes before completing a majority write, readers of different majorities see a=x or a=y". The seed puts y on node-2, which every majority of three meets, so no reader could see x; here y lands on node 2 alone (the seed’s node-3), and readers see x, then y, then x.',
  variant: 'lww',
  nodes: 3,
  steps: [
    { do: 'cut', between: [0, 2] },
    { do: 'request', node: 0, id: 1, op: { f: 'put', key: 'a', value: 'x' } },
    { do: 'deliver-all', say: 'a=x (timestamp 1) lands on nodes 0 and 1.' },
    { do: 'expect-response', id: 1, outcome: 'ok', result: { f: 'put', previous: null } },
    {
      do: 'request',
      node: 2,
      id: 2,
      op: { f: 'put', key: 'a', value: 'y' },
      say: 'Node 2 writes a=y.',
    },
    { do: 'deliver', from: 2, to: 1, type: 'read' },
    {
      do: 'deliver',
      from: 1,
      to: 2,
      type: 'read-reply',
      say: 'It stores a=y with timestamp 2 on its own disk and sends it to node 1…',
    },
    { do: 'drop', from: 2, to: 1, type: 'write' },
    { do: 'crash', node: 2, say: '…but the copy is lost and node 2 crashes: y is on one node.' },
    { do: 'expect-response', id: 2, outcome: 'none' },
    { do: 'restart', node: 2 },
    {
      do: 'request',
      node: 0,
      id: 3,
      op: { f: 'get', key: 'a' },
      say: 'A reader of nodes 0 and 1:',
    },
    { do: 'deliver-all' },
    { do: 'expect-response', id: 3, outcome: 'ok', result: { f: 'get', value: 'x' } },
    { do: 'heal' },
    { do: 'cut', between: [0, 1] },
    { do: 'cut', between: [0, 2] },
    {
      do: 'request',
      node: 2,
      id: 4,
      op: { f: 'get', key: 'a' },
      say: 'A reader of nodes 1 and 2:',
    },
    { do: 'deliver-all' },
    { do: 'expect-response', id: 4, outcome: 'ok', result: { f: 'get', value: 'y' } },
    { do: 'expect-violation', invariant: 'returned-values-stay' },
    { do: 'heal' },
    { do: 'cut', between: [0, 2] },
    {
      do: 'request',
      node: 0,
      id: 5,
      op: { f: 'get', key: 'a' },
      say: 'Nodes 0 and 1 again: x, after a reader already saw y. Not linearizable.',
    },
    { do: 'deliver-all' },
    { do: 'expect-response', id: 5, outcome: 'ok', result: { f: 'get', value: 'x' } },
  ],
};

/** The two concurrent `inc` of seed 002's derivation, scheduled identically for both variants. */
const concurrentIncSteps = [
  { do: 'request', node: 0, id: 1, op: { f: 'inc', key: 'i', delta: 1 }, say: 'Client X: inc(1).' },
  { do: 'request', node: 2, id: 2, op: { f: 'inc', key: 'i', delta: 1 }, say: 'Client Y: inc(1).' },
  { do: 'deliver', type: 'read', say: 'Both read i from every node.' },
  { do: 'deliver', type: 'read-reply' },
  { do: 'deliver-all', say: 'Both write what they computed.' },
] as const;

const versionedLostUpdate: Scenario = {
  name: 'replication-versioned-lost-update',
  title: 'The versioned variable i: two concurrent inc lose an update',
  description:
    'Seed 002’s derivation: "if two clients run inc concurrently, one write may overwrite the other". Both read version 0 of i, both write version 1 with the value 1; both are acknowledged, and i is 1 after two increments.',
  variant: 'versioned',
  nodes: 3,
  steps: [
    ...concurrentIncSteps,
    { do: 'expect-response', id: 1, outcome: 'ok', result: { f: 'inc', value: 1 } },
    { do: 'expect-response', id: 2, outcome: 'ok', result: { f: 'inc', value: 1 } },
    { do: 'expect-violation', invariant: 'no-lost-update' },
    { do: 'request', node: 1, id: 3, op: { f: 'get', key: 'i' } },
    { do: 'deliver-all' },
    { do: 'expect-response', id: 3, outcome: 'ok', result: { f: 'get', value: '1' } },
  ],
};

const preparedNoLostUpdate: Scenario = {
  name: 'replication-prepared-no-lost-update',
  title: 'A recorded pre-read (Paxos phase 1) stops the lost update',
  description:
    'Seed 002’s fix: "storage nodes remember who last did the pre-read, and only let that client write". The same schedule as the lost update: Y’s pre-read has the higher ballot, so X’s write is refused; X does not know whether it took effect and stays unanswered, and its retry reads Y’s result.',
  variant: 'prepared',
  nodes: 3,
  steps: [
    ...concurrentIncSteps,
    { do: 'expect-response', id: 2, outcome: 'ok', result: { f: 'inc', value: 1 } },
    {
      do: 'expect-response',
      id: 1,
      outcome: 'none',
      say: 'X’s pre-read had the lower ballot and node 0 had already recorded Y’s, so X’s write was refused. X cannot know whether it landed anywhere, so it does not answer.',
    },
    {
      do: 'request',
      node: 0,
      id: 3,
      op: { f: 'inc', key: 'i', delta: 1 },
      say: 'Client X tries again.',
    },
    { do: 'deliver-all' },
    { do: 'expect-response', id: 3, outcome: 'ok', result: { f: 'inc', value: 2 } },
    { do: 'expect-no-violation' },
  ],
};

export const REPLICATION_SCENARIOS: readonly Scenario[] = [
  asyncLostWrite,
  syncBackupDown,
  semisyncSplitWrites,
  majorityTwoValues,
  lwwFlip,
  versionedLostUpdate,
  preparedNoLostUpdate,
];

export function findReplicationScenario(name: string): Scenario | undefined {
  return REPLICATION_SCENARIOS.find((scenario) => scenario.name === name);
}
