// Long measurements, off by default (they take minutes). Run them with, for example:
//   RAFT_SWEEP=10000 npx vitest run src/protocols/raft/measure.test.ts
//   RAFT_ELECTIONS=1000 npx vitest run src/protocols/raft/measure.test.ts
import { describe, expect, it } from 'vitest';
import { Simulation, resolveSimConfig, runSimulation } from '../../sim/index.js';

const sweepSeeds = Number(process.env.RAFT_SWEEP ?? 0);
const electionSeeds = Number(process.env.RAFT_ELECTIONS ?? 0);

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
            options: { snapshotEveryEntries: 25 },
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
});
