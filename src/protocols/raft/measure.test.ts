// Long measurements, off by default (they take minutes). Run them with, for example:
//   RAFT_SWEEP=10000 npx vitest run src/protocols/raft/measure.test.ts  (RAFT_NODES=5, RAFT_READ_MODE=lease)
//   RAFT_ELECTIONS=1000 npx vitest run src/protocols/raft/measure.test.ts
//   RAFT_THROUGHPUT=1 npx vitest run src/protocols/raft/measure.test.ts
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import type { Envelope } from '../../core/protocol.js';
import { createRng } from '../../core/rng.js';
import { Simulation, resolveSimConfig, runSimulation } from '../../sim/index.js';
import type { RaftMessage } from './messages.js';
import { RaftNode } from './raft.js';

const sweepSeeds = Number(process.env.RAFT_SWEEP ?? 0);
const electionSeeds = Number(process.env.RAFT_ELECTIONS ?? 0);
const throughput = process.env.RAFT_THROUGHPUT !== undefined;

/** Three nodes in one process, messages handed over directly; records produced, not written. */
function inProcessCluster(): { leader: RaftNode<string>; pump: () => number } {
  const members = [1, 2, 3];
  const nodes = new Map(
    members.map((id) => [
      id,
      new RaftNode<string>({
        id,
        members,
        variant: 'default',
        rng: createRng(id),
        clock: new ManualClock(),
        restored: [],
        options: { maxEntriesPerMessage: 4096, maxInflightMessages: 256 },
      }),
    ]),
  );
  const leader = nodes.get(1)!;
  /** Delivers until quiet; returns the entries the leader saw committed. */
  const pump = (): number => {
    let committed = 0;
    let queue: Envelope<RaftMessage<string>>[] = [];
    for (;;) {
      for (const node of nodes.values())
        while (node.hasReady()) {
          const ready = node.ready();
          queue.push(...ready.messages);
          if (node === leader) committed += ready.committed.length;
        }
      if (queue.length === 0) return committed;
      const batch = queue;
      queue = [];
      for (const envelope of batch) nodes.get(envelope.to)!.step(envelope.from, envelope.message);
    }
  };
  leader.campaign('election');
  pump();
  return { leader, pump };
}

describe('Raft measurements', () => {
  it.skipIf(sweepSeeds === 0)(
    `sweep: linearizable KV and invariants over ${sweepSeeds} seeds with every nemesis`,
    () => {
      const verdicts = new Map<string, number[]>();
      for (let seed = 1; seed <= sweepSeeds; seed++) {
        const result = runSimulation(
          resolveSimConfig({
            protocol: 'raft',
            seed,
            nodes: Number(process.env.RAFT_NODES ?? 3),
            durationUs: 3_000_000,
            clients: { operationsMax: 300 },
            nemesis: {
              generators: [
                'kill',
                'restart',
                'partition',
                'isolate-leader',
                'pause',
                'bridge',
                'one-way',
                'storm',
              ],
              startUs: 100_000,
              quietUs: 500_000,
              intervalUsMin: 50_000,
              intervalUsMax: 400_000,
              faultUsMin: 50_000,
              faultUsMax: 600_000,
            },
            options: {
              snapshotEveryEntries: 25,
              ...(process.env.RAFT_READ_MODE === undefined
                ? {}
                : { readMode: process.env.RAFT_READ_MODE }),
            },
          }),
        );
        const verdict = result.ok
          ? (result.linearizability?.verdict ?? 'unchecked')
          : `violation: ${result.violation?.message}`;
        verdicts.set(verdict, [...(verdicts.get(verdict) ?? []), seed]);
      }
      const summary = [...verdicts].map(
        ([verdict, seeds]) => `${verdict}: ${seeds.length} (${seeds.slice(0, 10).join(', ')})`,
      );
      console.log(`Raft sweep over ${sweepSeeds} seeds\n  ${summary.join('\n  ')}`);
      expect([...verdicts.keys()].filter((verdict) => verdict.startsWith('violation'))).toEqual([]);
    },
    3_600_000,
  );

  it.skipIf(electionSeeds === 0)(
    `election time after a leader crash over ${electionSeeds} seeds`,
    () => {
      const crashUs = 1_000_000;
      const times: number[] = [];
      for (let seed = 1; seed <= electionSeeds; seed++) {
        const simulation = new Simulation(
          resolveSimConfig({
            protocol: 'raft',
            seed,
            durationUs: 3_000_000,
            clients: { count: 0 },
            nemesis: { schedule: [{ atUs: crashUs, action: { type: 'crash', nodes: 'leader' } }] },
          }),
        );
        simulation.runUntil(crashUs);
        const termAtCrash = Math.max(
          ...simulation.nodes().map((node) => Number(node.inspection?.epoch?.value ?? 0)),
        );
        for (let timeUs = crashUs; timeUs <= 3_000_000; timeUs += 1_000) {
          simulation.runUntil(timeUs);
          const elected = simulation
            .nodes()
            .some(
              (node) =>
                node.inspection?.role === 'leader' &&
                Number(node.inspection.epoch?.value) > termAtCrash,
            );
          if (elected) {
            times.push(timeUs - crashUs);
            break;
          }
        }
      }
      times.sort((a, b) => a - b);
      const at = (fraction: number) =>
        (times[Math.min(times.length - 1, Math.floor(times.length * fraction))] ?? 0) / 1000;
      console.log(
        `Raft election after a leader crash, ${times.length} of ${electionSeeds} seeds: median ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`,
      );
      expect(times.length).toBe(electionSeeds);
    },
    3_600_000,
  );

  it.skipIf(!throughput)('throughput: 100-byte commands committed per second in process', () => {
    const { leader, pump } = inProcessCluster();
    const command = 'x'.repeat(100);
    for (const batchSize of [1, 10, 100, 1000]) {
      let committed = 0;
      const startMs = performance.now();
      while (committed < 200_000 && performance.now() - startMs < 5_000) {
        for (let index = 0; index < batchSize; index++) leader.propose(command);
        committed += pump();
        if (leader.log.applied - leader.log.snapshotIndex > 20_000)
          leader.compact(leader.log.applied, null);
      }
      const seconds = (performance.now() - startMs) / 1000;
      console.log(`batch ${batchSize}: ${Math.round(committed / seconds)} commands/s`);
    }
    expect(leader.role).toBe('leader');
  });
});
