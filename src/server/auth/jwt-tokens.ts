import {
  type KeyObject,
  constants,
  createHmac,
  createPrivateKey,
  createPublicKey,
  sign,
  timingSafeEqual,
  verify,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SynodError } from '../../core/errors.js';

/**
 * etcd's `--auth-token jwt,…`: signed, self-contained tokens. Unlike simple tokens they need no
 * log entry and no memory: any member holding the public key (or the shared secret) verifies a
 * token another member signed. Claims as etcd's: `username`, `revision` (the auth revision when it
 * was issued; etcd refuses it for key access once auth has changed since) and `exp`. A token is not
 * renewed by use; it expires `ttl` after it was issued (etcd's default: 5 minutes).
 */

export const SIGN_METHODS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'HS256',
  'HS384',
  'HS512',
] as const;
export type SignMethod = (typeof SIGN_METHODS)[number];

/** EC curves by method: a key on another curve would sign tokens other JWT libraries refuse. */
const CURVES: Partial<Record<SignMethod, string>> = {
  ES256: 'prime256v1',
  ES384: 'secp384r1',
  ES512: 'secp521r1',
};
/** ECDSA signature halves, in bytes (JWS's raw r||s form). */
const EC_HALF_BYTES: Partial<Record<SignMethod, number>> = { ES256: 32, ES384: 48, ES512: 66 };

const DEFAULT_TTL_MS = 5 * 60 * 1000;

export interface JwtOptions {
  readonly signMethod: SignMethod;
  /** Signs tokens; undefined on a verify-only member. For HS*, the shared secret. */
  readonly privateKey: KeyObject | Buffer | undefined;
  /** Verifies tokens. For HS*, the shared secret too. */
  readonly verifyKey: KeyObject | Buffer;
  readonly ttlMs: number;
}

export interface JwtClaims {
  readonly user: string;
  /** The auth revision the token was issued at. */
  readonly revision: number;
}

function bad(detail: string): SynodError {
  return new SynodError('SERVER_BAD_FLAG', `--auth-token: ${detail}`);
}

/** A Go duration as etcd takes it (`5m`, `30s`, `1h30m`, `1500ms`), in milliseconds. */
export function parseGoDuration(text: string): number | undefined {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001 };
  if (!/^(\d+(\.\d+)?(h|ms|us|m|s))+$/.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(/(\d+(?:\.\d+)?)(h|ms|us|m|s)/g))
    total += Number(match[1]) * (units[match[2] as string] as number);
  return total;
}

function readKeyFile(option: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw bad(`${option}=${path}: cannot read it (${(error as Error).message})`);
  }
}

/**
 * Parses `jwt,pub-key=PATH,priv-key=PATH,sign-method=METHOD[,ttl=DURATION]` (the part after
 * `jwt,`), reading and checking the keys: each must load and suit the method. A member with only
 * the public key verifies tokens but cannot issue them, as in etcd.
 */
export function parseJwtOptions(text: string): JwtOptions {
  const fields = new Map<string, string>();
  for (const part of text.split(',').filter((each) => each !== '')) {
    const equals = part.indexOf('=');
    if (equals <= 0) throw bad(`"${part}" is not name=value`);
    const name = part.slice(0, equals);
    if (!['pub-key', 'priv-key', 'sign-method', 'ttl'].includes(name))
      throw bad(`unknown jwt option "${name}" (pub-key, priv-key, sign-method, ttl)`);
    fields.set(name, part.slice(equals + 1));
  }
  const method = fields.get('sign-method');
  if (method === undefined) throw bad('jwt needs sign-method=<RS256|PS256|ES256|HS256|…>');
  if (!(SIGN_METHODS as readonly string[]).includes(method))
    throw bad(`unknown sign-method "${method}" (one of ${SIGN_METHODS.join(', ')})`);
  const signMethod = method as SignMethod;
  const ttlText = fields.get('ttl');
  const ttlMs = ttlText === undefined ? DEFAULT_TTL_MS : parseGoDuration(ttlText);
  if (ttlMs === undefined || ttlMs < 1000)
    throw bad(`ttl=${ttlText ?? ''} is not a duration of at least 1s (e.g. 5m, 30s)`);
  const publicPath = fields.get('pub-key');
  const privatePath = fields.get('priv-key');
  if (signMethod.startsWith('HS')) {
    if (privatePath === undefined) throw bad(`${signMethod} needs priv-key=<the shared secret>`);
    const secret = readKeyFile('priv-key', privatePath);
    if (secret.length < 32) throw bad(`priv-key=${privatePath}: a secret of at least 32 bytes`);
    return { signMethod, privateKey: secret, verifyKey: secret, ttlMs };
  }
  if (publicPath === undefined && privatePath === undefined)
    throw bad('jwt needs pub-key=<path> or priv-key=<path> (or both)');
  const privateKey =
    privatePath === undefined
      ? undefined
      : loadKey('priv-key', privatePath, () =>
          createPrivateKey(readKeyFile('priv-key', privatePath)),
        );
  const publicKey =
    publicPath === undefined
      ? undefined
      : loadKey('pub-key', publicPath, () => createPublicKey(readKeyFile('pub-key', publicPath)));
  const verifyKey = publicKey ?? createPublicKey(privateKey as KeyObject);
  for (const [option, key] of [
    ['priv-key', privateKey],
    ['pub-key', publicKey],
  ] as const)
    if (key !== undefined) checkKeyType(option, fields.get(option) as string, key, signMethod);
  return { signMethod, privateKey, verifyKey, ttlMs };
}

function loadKey(option: string, path: string, load: () => KeyObject): KeyObject {
  try {
    return load();
  } catch (error) {
    if (error instanceof SynodError) throw error;
    throw bad(`${option}=${path}: not a PEM key (${(error as Error).message})`);
  }
}

function checkKeyType(option: string, path: string, key: KeyObject, method: SignMethod): void {
  const type = key.asymmetricKeyType;
  if ((method.startsWith('RS') || method.startsWith('PS')) && type !== 'rsa')
    throw bad(`${option}=${path}: ${method} needs an RSA key, this is ${type ?? 'not one'}`);
  if (method.startsWith('ES')) {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (type !== 'ec' || curve !== CURVES[method])
      throw bad(`${option}=${path}: ${method} needs an EC key on ${CURVES[method]}`);
  }
}

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

function digestOf(method: SignMethod): string {
  return `sha${method.slice(2)}`;
}

/** What node:crypto's sign and verify take for an asymmetric method: the key and its padding. */
function asymmetricKey(method: SignMethod, key: KeyObject) {
  if (method.startsWith('PS'))
    return {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    };
  // JWS's ES signatures are r||s, not DER.
  if (method.startsWith('ES')) return { key, dsaEncoding: 'ieee-p1363' as const };
  return key;
}

function hmac(method: SignMethod, secret: Buffer, input: Buffer): Buffer {
  return createHmac(digestOf(method), secret).update(input).digest();
}

function signature(options: JwtOptions, key: KeyObject | Buffer, input: Buffer): Buffer {
  const method = options.signMethod;
  if (method.startsWith('HS')) return hmac(method, key as Buffer, input);
  return sign(digestOf(method), input, asymmetricKey(method, key as KeyObject));
}

function signatureValid(options: JwtOptions, input: Buffer, given: Buffer): boolean {
  const method = options.signMethod;
  const key = options.verifyKey;
  if (method.startsWith('HS')) {
    const expected = hmac(method, key as Buffer, input);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
  if (method.startsWith('ES') && given.length !== 2 * (EC_HALF_BYTES[method] as number))
    return false;
  return verify(digestOf(method), input, asymmetricKey(method, key as KeyObject), given);
}

export class JwtTokens {
  constructor(
    readonly options: JwtOptions,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Whether this member can issue tokens (it has the private key or the secret). */
  get canIssue(): boolean {
    return this.options.privateKey !== undefined;
  }

  /** A signed token for `user` at auth revision `revision`. */
  issue(user: string, revision: number): string {
    const key = this.options.privateKey;
    if (key === undefined) throw new Error('auth: token signing attempted with verify-only key');
    const header = base64url(JSON.stringify({ alg: this.options.signMethod, typ: 'JWT' }));
    const exp = Math.floor((this.nowMs() + this.options.ttlMs) / 1000);
    const payload = base64url(JSON.stringify({ exp, revision, username: user }));
    const input = `${header}.${payload}`;
    return `${input}.${base64url(signature(this.options, key, Buffer.from(input)))}`;
  }

  /** The token's claims if it is well-formed, signed with our key by our method, and not expired. */
  verify(token: string): JwtClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [headerText, payloadText, signatureText] = parts as [string, string, string];
    try {
      const header = JSON.parse(Buffer.from(headerText, 'base64url').toString('utf8')) as {
        alg?: unknown;
      };
      if (header.alg !== this.options.signMethod) return undefined;
      const input = Buffer.from(`${headerText}.${payloadText}`);
      if (!signatureValid(this.options, input, Buffer.from(signatureText, 'base64url')))
        return undefined;
      const claims = JSON.parse(Buffer.from(payloadText, 'base64url').toString('utf8')) as {
        username?: unknown;
        revision?: unknown;
        exp?: unknown;
      };
      if (typeof claims.username !== 'string' || !Number.isSafeInteger(claims.revision))
        return undefined;
      if (typeof claims.exp !== 'number' || claims.exp * 1000 <= this.nowMs()) return undefined;
      return { user: claims.username, revision: claims.revision as number };
    } catch {
      return undefined; // not JSON, not base64url, a key that cannot verify: not our token
    }
  }
}
