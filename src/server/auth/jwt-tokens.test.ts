import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuthGate } from './auth-gate.js';
import { AuthStore } from './auth-store.js';
import { JwtTokens, parseGoDuration, parseJwtOptions } from './jwt-tokens.js';
import { SimpleTokens } from './simple-tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'synod-jwt-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function keyFiles(name: string, pair: ReturnType<typeof generateKeyPairSync>) {
  const priv = join(dir, `${name}.key`);
  const pub = join(dir, `${name}.pub`);
  writeFileSync(priv, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(pub, pair.publicKey.export({ type: 'spki', format: 'pem' }));
  return { priv, pub };
}

const rsa = keyFiles('rsa', generateKeyPairSync('rsa', { modulusLength: 2048 }));
const otherRsa = keyFiles('rsa2', generateKeyPairSync('rsa', { modulusLength: 2048 }));
const p256 = keyFiles('p256', generateKeyPairSync('ec', { namedCurve: 'prime256v1' }));
const p384 = keyFiles('p384', generateKeyPairSync('ec', { namedCurve: 'secp384r1' }));
const secret = join(dir, 'secret');
writeFileSync(secret, 'a shared secret of more than thirty-two bytes');

describe('JWT auth tokens', () => {
  it.each([
    ['RS256', rsa],
    ['PS384', rsa],
    ['ES256', p256],
    ['ES384', p384],
  ] as const)('%s: issued by one member, verified by a verify-only one', (method, files) => {
    const signer = new JwtTokens(
      parseJwtOptions(`priv-key=${files.priv},pub-key=${files.pub},sign-method=${method}`),
    );
    const verifier = new JwtTokens(parseJwtOptions(`pub-key=${files.pub},sign-method=${method}`));
    expect(verifier.canIssue).toBe(false);
    expect(() => verifier.issue('alice', 1)).toThrow('verify-only key');
    const token = signer.issue('alice', 7);
    expect(verifier.verify(token)).toEqual({ user: 'alice', revision: 7 });
  });

  it('HS256 with a shared secret', () => {
    const tokens = new JwtTokens(parseJwtOptions(`priv-key=${secret},sign-method=HS256`));
    expect(tokens.verify(tokens.issue('bob', 2))).toEqual({ user: 'bob', revision: 2 });
  });

  it('refuses tokens signed by another key, altered, expired or in another algorithm', () => {
    let now = 1_000_000;
    const options = parseJwtOptions(`priv-key=${rsa.priv},sign-method=RS256,ttl=30s`);
    const tokens = new JwtTokens(options, () => now);
    const token = tokens.issue('alice', 3);
    const stranger = new JwtTokens(parseJwtOptions(`priv-key=${otherRsa.priv},sign-method=RS256`));
    expect(stranger.verify(token)).toBeUndefined();
    const [header, , signature] = token.split('.') as [string, string, string];
    const forgedClaims = Buffer.from(
      JSON.stringify({ exp: 9_999_999_999, revision: 3, username: 'root' }),
    ).toString('base64url');
    expect(tokens.verify(`${header}.${forgedClaims}.${signature}`)).toBeUndefined();
    const none = Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url');
    expect(tokens.verify(`${none}.${token.split('.')[1]}.`)).toBeUndefined();
    expect(tokens.verify('not a token')).toBeUndefined();
    expect(tokens.verify(token)).toEqual({ user: 'alice', revision: 3 });
    now += 30_000;
    expect(tokens.verify(token)).toBeUndefined(); // not renewed by use: expired after its ttl
  });

  it('refuses bad --auth-token options with a message naming the problem', () => {
    const refusal = (text: string) => {
      try {
        parseJwtOptions(text);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error(`accepted ${text}`);
    };
    expect(refusal(`pub-key=${rsa.pub}`)).toContain('needs sign-method');
    expect(refusal(`pub-key=${rsa.pub},sign-method=RS999`)).toContain('unknown sign-method');
    expect(refusal(`pub-key=${rsa.pub},sign-method=RS256,colour=red`)).toContain(
      'unknown jwt option "colour"',
    );
    expect(refusal('sign-method=RS256')).toContain('needs pub-key');
    expect(refusal(`pub-key=${join(dir, 'missing')},sign-method=RS256`)).toContain(
      'cannot read it',
    );
    expect(refusal(`pub-key=${secret},sign-method=RS256`)).toContain('not a PEM key');
    expect(refusal(`pub-key=${rsa.pub},sign-method=ES256`)).toContain('needs an EC key');
    expect(refusal(`pub-key=${p384.pub},sign-method=ES256`)).toContain('prime256v1');
    expect(refusal(`priv-key=${p256.priv},sign-method=RS256`)).toContain('needs an RSA key');
    expect(refusal(`pub-key=${rsa.pub},sign-method=RS256,ttl=soon`)).toContain('ttl=soon');
    writeFileSync(join(dir, 'short'), 'short');
    expect(refusal(`priv-key=${join(dir, 'short')},sign-method=HS256`)).toContain('32 bytes');
    expect(parseGoDuration('1h30m')).toBe(5_400_000);
    expect(parseGoDuration('1500ms')).toBe(1500);
  });

  it("refuses key access with a token older than the auth state, as etcd's isOpPermitted", () => {
    const store = new AuthStore();
    const tokens = new JwtTokens(parseJwtOptions(`priv-key=${rsa.priv},sign-method=RS256`));
    const gate = new AuthGate(store, new SimpleTokens(), tokens);
    for (const command of [
      { type: 'userAdd', name: 'root', passwordHash: 'h', noPassword: false },
      { type: 'userGrantRole', user: 'root', role: 'root' },
      { type: 'authEnable' },
    ] as const)
      expect(store.apply(command).ok).toBe(true);
    const metadata = (token: string) =>
      ({ get: (key: string) => (key === 'token' ? [token] : []) }) as never;
    const info = gate.infoOf(metadata(tokens.issue('root', store.revision)));
    expect(() => gate.requireRange(info, 'k', '', true)).not.toThrow();
    expect(store.apply({ type: 'roleAdd', name: 'other' }).ok).toBe(true);
    expect(() => gate.requireRange(info, 'k', '', true)).toThrow(
      'etcdserver: revision of auth store is old',
    );
    expect(() => gate.infoOf(metadata(tokens.issue('nobody', store.revision)))).toThrow(
      'etcdserver: invalid auth token',
    );
  });
});
