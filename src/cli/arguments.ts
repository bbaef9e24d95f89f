import { InvalidArgumentError } from 'commander';
import { SEED_MAX, isSeed } from '../core/rng.js';

/** Parsers for option values: each throws commander's InvalidArgumentError with a plain message. */

export function parseSeed(text: string): number {
  const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!isSeed(value))
    throw new InvalidArgumentError(`a seed is an integer from 0 to ${SEED_MAX}, got "${text}".`);
  return value;
}

export interface SeedRange {
  readonly from: number;
  readonly to: number;
}

/** `A..B`, both inclusive, or a single seed. */
export function parseSeedRange(text: string): SeedRange {
  const match = /^\s*(\d+)\s*\.\.\s*(\d+)\s*$/.exec(text);
  if (match === null) {
    const seed = parseSeed(text);
    return { from: seed, to: seed };
  }
  const from = parseSeed(match[1] as string);
  const to = parseSeed(match[2] as string);
  if (to < from)
    throw new InvalidArgumentError(`the seed range "${text}" is empty: ${to} is below ${from}.`);
  return { from, to };
}

export function parsePositiveInteger(name: string, min = 1, max = Number.MAX_SAFE_INTEGER) {
  return (text: string): number => {
    const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(
        `${name} must be an integer from ${min} to ${max}, got "${text}".`,
      );
    }
    return value;
  };
}

const DURATION_UNITS_US: Readonly<Record<string, number>> = {
  us: 1,
  ms: 1000,
  s: 1_000_000,
  m: 60_000_000,
};

/** A duration such as `500ms`, `10s`, `2m`; a bare number means seconds. Returns microseconds. */
export function parseDurationUs(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|m)?\s*$/.exec(text);
  if (match === null) {
    throw new InvalidArgumentError(`a duration looks like 500ms, 10s or 2m, got "${text}".`);
  }
  const value = Math.round(Number(match[1]) * (DURATION_UNITS_US[match[2] ?? 's'] as number));
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidArgumentError(`the duration "${text}" must be positive.`);
  }
  return value;
}

/** A comma-separated list whose items must come from `allowed`. */
export function parseList(name: string, allowed: readonly string[]) {
  return (text: string): string[] => {
    const items = text
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
    const unknown = items.filter((item) => !allowed.includes(item));
    if (unknown.length > 0) {
      throw new InvalidArgumentError(
        `unknown ${name} ${unknown.map((item) => `"${item}"`).join(', ')}; choose from ${allowed.join(', ')}.`,
      );
    }
    return items;
  };
}
