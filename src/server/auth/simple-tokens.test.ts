import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './passwords.js';
import { SIMPLE_TOKEN_TTL_MS, SimpleTokens, newSimpleToken } from './simple-tokens.js';

describe('simple tokens', () => {
  it('are unique, expire after 5 minutes without use, and each use renews them', () => {
    let now = 1_000;
    const tokens = new SimpleTokens(() => now);
    const owner = { user: 'alice', passwordHash: 'h' };
    const a = newSimpleToken();
    const b = newSimpleToken();
    expect(a).not.toBe(b);
    tokens.register(a, owner);
    tokens.register(b, owner);
    expect(a).toMatch(/^[a-zA-Z]{16}\.\d+$/);
    now += SIMPLE_TOKEN_TTL_MS - 1;
    expect(tokens.resolve(a)).toMatchObject(owner);
    now += SIMPLE_TOKEN_TTL_MS - 1; // renewed by the use above
    expect(tokens.resolve(a)).toMatchObject(owner);
    expect(tokens.resolve(b)).toBeUndefined(); // never used since it was issued
    now += SIMPLE_TOKEN_TTL_MS;
    expect(tokens.resolve(a)).toBeUndefined();
    expect(tokens.resolve('made-up.1')).toBeUndefined();
  });
});

describe('password hashes', () => {
  it('verify the password they were made from, and nothing else', async () => {
    const hash = await hashPassword('s3cret');
    expect(hash.startsWith('scrypt$')).toBe(true);
    expect(hash).not.toContain('s3cret');
    expect(await hashPassword('s3cret')).not.toBe(hash); // salted
    expect(await verifyPassword('s3cret', hash)).toBe(true);
    expect(await verifyPassword('s3cret ', hash)).toBe(false);
    expect(await verifyPassword('s3cret', '')).toBe(false);
    expect(await verifyPassword('s3cret', 'scrypt$1$1$1$AA==$AA==')).toBe(false);
  });
});
