import { randomInt } from 'node:crypto';

/**
 * etcd's default `--auth-token simple`: an opaque random token per Authenticate. As in etcd, the
 * token goes through the log, so every member that applies it holds it in memory; each member
 * forgets it after 5 minutes without use there (each use renews it) and on restart. Tokens are not
 * in snapshots: a member restored from one knows only the tokens issued after. A token names its
 * user and the password hash it was issued under, so a changed password or a deleted user
 * invalidates it on its next use.
 */

/** etcd's simpleTokenTTL. */
export const SIMPLE_TOKEN_TTL_MS = 5 * 60 * 1000;
/** Bounded: a client that authenticates in a loop cannot grow the table without end. */
const TOKENS_MAX = 100_000;

export interface TokenOwner {
  readonly user: string;
  readonly passwordHash: string;
}

interface Entry extends TokenOwner {
  expiresAt: number;
}

export class SimpleTokens {
  private readonly tokens = new Map<string, Entry>();

  constructor(
    private readonly nowMs: () => number = Date.now,
    private readonly ttlMs = SIMPLE_TOKEN_TTL_MS,
  ) {}

  /** Holds `token` for `owner` (applying an Authenticate). */
  register(token: string, owner: TokenOwner): void {
    this.sweep();
    if (this.tokens.size >= TOKENS_MAX) {
      const oldest = this.tokens.keys().next().value;
      if (oldest !== undefined) this.tokens.delete(oldest);
    }
    this.tokens.set(token, { ...owner, expiresAt: this.nowMs() + this.ttlMs });
  }

  /** The token's owner, renewing it; undefined when unknown or expired. */
  resolve(token: string): TokenOwner | undefined {
    const entry = this.tokens.get(token);
    if (entry === undefined) return undefined;
    const now = this.nowMs();
    if (entry.expiresAt <= now) {
      this.tokens.delete(token);
      return undefined;
    }
    entry.expiresAt = now + this.ttlMs;
    return entry;
  }

  get size(): number {
    return this.tokens.size;
  }

  private sweep(): void {
    const now = this.nowMs();
    for (const [token, entry] of this.tokens) if (entry.expiresAt <= now) this.tokens.delete(token);
  }
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
let issued = 0;

/**
 * A new token, the shape of etcd's `<16 random letters>.<index>`: 52^16 (about 2^91) choices, so
 * tokens made on different members do not collide.
 */
export function newSimpleToken(): string {
  let out = '';
  for (let i = 0; i < 16; i++) out += LETTERS[randomInt(LETTERS.length)] ?? 'a';
  issued += 1;
  return `${out}.${issued}`;
}
