import { describe, expect, it } from 'vitest';
import { NEMESIS_NAMES } from './nemesis.js';
import { PROTOCOLS } from './registry.js';
import { resolveSimConfig } from './scenario.js';
import { runSimulation } from './sweep.js';

function traceOf(input: Record<string, unknown>): { text: string; lines: string[] } {
  const lines: string[] = [];
  runSimulation(resolveSimConfig(input), { trace: (line) => lines.push(line) });
  return { text: lines.join('\n'), lines };
}

// Every registered protocol, every variant: a protocol added to the registry is covered here
// without touching this file.
const cases = PROTOCOLS.flatMap((definition) =>
  definition.variants.map((variant) => [definition.name, variant.name] as const),
);

describe('same seed and configuration, byte-identical trace', () => {
  it.each(cases)('%s (%s)', (protocol, variant) => {
    const input = {
      protocol,
      variant,
      seed: 42,
      durationUs: 2_000_000,
      network: { lossProbability: 0.05, duplicateProbability: 0.05, reorderProbability: 0.1 },
      nemesis: { generators: [...NEMESIS_NAMES], startUs: 100_000, quietUs: 200_000 },
    };
    const first = traceOf(input);
    const second = traceOf(input);
    expect(first.lines.length).toBeGreaterThan(10); // unsafe variants may stop early, at their violation
    expect(second.text).toBe(first.text);
    expect(JSON.parse(first.lines[0]!)).toMatchObject({
      type: 'header',
      seed: 42,
      protocol,
      variant,
    });
    expect(JSON.parse(first.lines[first.lines.length - 1]!)).toMatchObject({ type: 'end' });
    // A different seed is a different run.
    expect(traceOf({ ...input, seed: 43 }).text).not.toBe(first.text);
  });
});

describe('independent random streams', () => {
  it('the nemesis schedule does not depend on the clients or the network', () => {
    const nemesisOf = (input: Record<string, unknown>) =>
      traceOf({
        protocol: PROTOCOLS[0]!.name,
        seed: 7,
        durationUs: 3_000_000,
        nemesis: { generators: ['partition', 'kill', 'skew'] },
        ...input,
      })
        .lines.map((line) => JSON.parse(line) as { type: string; t: number; action?: unknown })
        .filter(
          (event) =>
            event.type === 'nemesis' && (event.action as { type: string }).type !== 'restart',
        )
        .map((event) => JSON.stringify([event.t, event.action]));
    const base = nemesisOf({});
    expect(base.length).toBeGreaterThan(2);
    expect(nemesisOf({ clients: { count: 9 } })).toEqual(base);
    expect(nemesisOf({ network: { lossProbability: 0.2 } })).toEqual(base);
  });
});
