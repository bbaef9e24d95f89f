import { describe, expect, it } from 'vitest';
import { SynodError } from '../core/errors.js';
import { DEFAULT_CLIENTS, DEFAULT_NETWORK } from './config.js';
import { parseScenario, resolveSimConfig } from './scenario.js';

function problems(input: unknown): string {
  try {
    resolveSimConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(SynodError);
    expect((error as SynodError).code).toBe('BAD_SCENARIO');
    return (error as SynodError).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('resolveSimConfig', () => {
  it('fills every default from just a protocol name', () => {
    const config = resolveSimConfig({ protocol: 'fixed-leader' });
    expect(config).toMatchObject({
      protocol: 'fixed-leader',
      variant: 'default',
      nodes: 3,
      seed: 1,
    });
    expect(config.network).toEqual(DEFAULT_NETWORK);
    expect(config.clients).toEqual(DEFAULT_CLIENTS);
    expect(config.tickIntervalUs).toBe(10_000);
  });

  it('is idempotent: a resolved configuration resolves to itself (so a trace header replays)', () => {
    const config = resolveSimConfig({
      protocol: 'fixed-leader',
      seed: 9,
      network: {
        latency: { kind: 'exponential', meanUs: 500, maxUs: 5_000 },
        links: [{ from: 0, to: 1, lossProbability: 0.5 }],
      },
      clocks: [{ node: 2, offsetUs: -100, driftPpm: 20 }],
      nemesis: {
        generators: ['kill', 'storm'],
        schedule: [{ atUs: 10, action: { type: 'partition', sides: [[0], [1, 2]] } }],
      },
    });
    expect(resolveSimConfig(JSON.parse(JSON.stringify(config)))).toEqual(config);
  });

  it('names each bad field by its path and says what was wrong', () => {
    const message = problems({
      protocol: 'fixed-leader',
      nodes: 0,
      network: { lossProbability: 2, latency: { kind: 'uniform', minUs: 500, maxUs: 100 } },
      clients: { count: 'five' },
      nemesis: {
        generators: ['partition', 'meteor'],
        schedule: [
          { atUs: -1, action: { type: 'crash', nodes: [7] } },
          { atUs: 5, action: { type: 'explode' } },
        ],
      },
      colour: 'blue',
    });
    expect(message).toContain('nodes: must be >= 1, got 0');
    expect(message).toContain('network.lossProbability: must be <= 1, got 2');
    expect(message).toContain('network.latency.maxUs: must be >= minUs (500), got 100');
    expect(message).toContain('clients.count: must be a number, got "five"');
    expect(message).toContain('nemesis.generators[1]: unknown nemesis "meteor"');
    expect(message).toContain('nemesis.schedule[0].atUs: must be >= 0, got -1');
    expect(message).toContain(
      'nemesis.schedule[0].action.nodes[0]: must be a node id in 0..2, got 7',
    );
    expect(message).toContain('nemesis.schedule[1].action.type: must be one of');
    expect(message).toContain('colour: unknown field');
  });

  it('refuses unknown protocols and variants, listing the known ones', () => {
    expect(problems({ protocol: 'carrier-pigeon' })).toMatch(
      /protocol: must be one of .*fixed-leader/,
    );
    expect(problems({ variant: 'default' })).toContain('protocol: is required');
    expect(problems({ protocol: 'fixed-leader', variant: 'yolo' })).toMatch(
      /variant: fixed-leader has no variant "yolo" \(known: default, ack-before-sync\)/,
    );
    expect(problems('fixed-leader')).toContain('must be an object');
    expect(problems(undefined)).toContain('a configuration object is required');
  });

  it("reports the protocol's own complaints about its options under `options`", () => {
    expect(problems({ protocol: 'fixed-leader', options: { heartbeatTicks: 0 } })).toContain(
      'options: fixed-leader option heartbeatTicks must be an integer >= 1',
    );
  });
});

describe('parseScenario', () => {
  it('reads a whole run from JSON', () => {
    const config = parseScenario(
      JSON.stringify({
        protocol: 'fixed-leader',
        variant: 'ack-before-sync',
        nodes: 5,
        seed: 12,
        durationUs: 3_000_000,
        clients: { count: 2, mix: { put: 1, get: 1 } },
        nemesis: { schedule: [{ atUs: 1_000_000, action: { type: 'crash', nodes: 'leader' } }] },
      }),
    );
    expect(config).toMatchObject({ variant: 'ack-before-sync', nodes: 5, seed: 12 });
    expect(config.clients.mix).toEqual({ get: 1, put: 1, delete: 0, cas: 0, inc: 0 });
  });

  it('reports text that is not JSON as a bad scenario, with the source name', () => {
    expect(() => parseScenario('{ protocol: ', 'my.json')).toThrow(/invalid my\.json: not JSON/);
  });
});
