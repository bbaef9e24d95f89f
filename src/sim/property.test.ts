import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NEMESIS_NAMES } from './nemesis.js';
import { type AnyProtocolDefinition, PROTOCOLS } from './registry.js';
import { resolveSimConfig } from './scenario.js';
import { runSimulation } from './sweep.js';
import { diskProbeDefinition } from './testing/disk-probe.js';
import { pingPongDefinition } from './testing/ping-pong.js';

// Every registered protocol and variant, and the simulator's own fixtures (no clients; the
// ping-pong one keeps the network at its busiest).
const definitions: readonly AnyProtocolDefinition[] = [
  ...PROTOCOLS,
  pingPongDefinition,
  diskProbeDefinition,
];
const protocolAndVariant = fc.constantFrom(
  ...definitions.flatMap((definition) =>
    definition.variants.map((variant) => ({ definition, variant: variant.name })),
  ),
);

const probability = fc.double({ min: 0, max: 0.3, noNaN: true });

const latency = fc.oneof(
  fc.record({ kind: fc.constant('fixed' as const), us: fc.integer({ min: 0, max: 5_000 }) }),
  fc
    .tuple(fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: 0, max: 3_000 }))
    .map(([a, b]) => ({ kind: 'uniform' as const, minUs: Math.min(a, b), maxUs: Math.max(a, b) })),
  fc.record({
    kind: fc.constant('exponential' as const),
    meanUs: fc.integer({ min: 1, max: 2_000 }),
    maxUs: fc.integer({ min: 0, max: 20_000 }),
  }),
);

const input = fc.record({
  pick: protocolAndVariant,
  nodes: fc.integer({ min: 1, max: 5 }),
  seed: fc.nat(),
  durationUs: fc.integer({ min: 1, max: 800_000 }),
  tickIntervalUs: fc.integer({ min: 1_000, max: 30_000 }),
  network: fc.record({
    latency,
    lossProbability: probability,
    duplicateProbability: probability,
    reorderProbability: probability,
    // Duplication makes ping-pong's traffic grow without bound; the cap keeps traces small.
    inFlightMessagesMax: fc.integer({ min: 1, max: 2_000 }),
  }),
  clients: fc.record({
    count: fc.integer({ min: 0, max: 6 }),
    keys: fc.integer({ min: 1, max: 4 }),
  }),
  generators: fc.subarray([...NEMESIS_NAMES]),
});

describe('any valid configuration', () => {
  it('runs without throwing and replays byte for byte', () => {
    fc.assert(
      fc.property(input, ({ pick, generators, ...rest }) => {
        const { definition, variant } = pick;
        const config = resolveSimConfig(
          {
            protocol: definition.name,
            variant,
            ...rest,
            nemesis: {
              generators,
              startUs: 0,
              quietUs: 0,
              intervalUsMin: 10_000,
              faultUsMin: 10_000,
            },
            // The property is about the simulator; a small budget keeps the checker's share short.
            linearizability: { maxSteps: 20_000 },
          },
          'property',
          PROTOCOLS.includes(definition) ? undefined : definition,
        );
        const run = () => {
          const lines: string[] = [];
          const result = runSimulation(config, { definition, trace: (line) => lines.push(line) });
          return { text: lines.join('\n'), result };
        };
        const first = run();
        const second = run();
        expect(second.text).toBe(first.text);
        expect(second.result.ok).toBe(first.result.ok);
        if (first.result.ok) expect(first.result.endUs).toBe(config.durationUs);
      }),
      { numRuns: 40 },
    );
  });
});
