import { describe, expect, it } from 'vitest';
import { createRng } from '../core/rng.js';
import { DEFAULT_NEMESIS } from './config.js';
import { NEMESIS_NAMES, type NemesisName, generateSchedule } from './nemesis.js';

const members = [0, 1, 2, 3, 4];
const durationUs = 20_000_000;

function scheduleFor(generators: readonly NemesisName[], seed = 1) {
  return generateSchedule({ ...DEFAULT_NEMESIS, generators }, members, durationUs, createRng(seed));
}

describe('nemesis schedules', () => {
  it('are a pure function of the seed', () => {
    expect(scheduleFor(NEMESIS_NAMES)).toEqual(scheduleFor(NEMESIS_NAMES));
    expect(scheduleFor(NEMESIS_NAMES, 2)).not.toEqual(scheduleFor(NEMESIS_NAMES));
  });

  it('give each generator its own stream: adding one leaves the others unchanged', () => {
    const kill = scheduleFor(['kill']);
    const both = scheduleFor(['kill', 'pause']);
    const killTypes = new Set(['crash', 'restart']);
    expect(both.filter((timed) => killTypes.has(timed.action.type))).toEqual(kill);
  });

  it('alternate faults and their undoing inside [startUs, durationUs - quietUs], in time order', () => {
    for (const name of NEMESIS_NAMES) {
      const schedule = scheduleFor([name]);
      expect(schedule.length, name).toBeGreaterThan(2);
      expect(schedule.length % 2, name).toBe(0);
      for (const [index, timed] of schedule.entries()) {
        expect(timed.atUs).toBeGreaterThan(DEFAULT_NEMESIS.startUs);
        expect(timed.atUs).toBeLessThanOrEqual(durationUs - DEFAULT_NEMESIS.quietUs);
        if (index > 0) expect(timed.atUs).toBeGreaterThanOrEqual(schedule[index - 1]!.atUs);
      }
    }
  });

  it('kill only a minority, and restart the same nodes', () => {
    const schedule = scheduleFor(['kill']);
    for (let index = 0; index < schedule.length; index += 2) {
      const crash = schedule[index]!.action;
      const restart = schedule[index + 1]!.action;
      expect(crash.type).toBe('crash');
      expect(restart).toEqual({ ...crash, type: 'restart' });
      if (crash.type === 'crash' && Array.isArray(crash.nodes))
        expect(crash.nodes.length).toBeLessThanOrEqual(2);
    }
  });

  it('merge an explicit schedule, keeping its order among equal times', () => {
    const schedule = generateSchedule(
      {
        ...DEFAULT_NEMESIS,
        schedule: [
          { atUs: 5, action: { type: 'heal' } },
          { atUs: 5, action: { type: 'calm' } },
          { atUs: 1, action: { type: 'crash', nodes: 'leader' } },
        ],
      },
      members,
      durationUs,
      createRng(1),
    );
    expect(schedule.map((timed) => timed.action.type)).toEqual(['crash', 'heal', 'calm']);
  });
});
