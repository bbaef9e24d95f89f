import { randomInt } from 'node:crypto';

/**
 * etcd's default `--auth-token simple`: an opaque random token per Authenticate, held in memory
 * by the member that issued it, forgotten after 5 minutes without use (each use renews it) and on
 * restart. A token names its user and the password hash it was issued under, so a changed password
 * or a deleted user invalidates it on its next use.
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
  private issued = 0;

  constructor(
    private readonly nowMs: () => number = Date.now,
    private readonly ttlMs = SIMPLE_TOKEN_TTL_MS,
  ) {}

  /** A new token for `owner`: 16 random letters and a counter, the shape of etcd's `<random>.<index>`. */
  issue(owner: TokenOwner): string {
    this.sweep();
    if (this.tokens.size >= TOKENS_MAX) {
      const oldest = this.tokens.keys().next().value;
      if (oldest !== undefined) this.tokens.delete(oldest);
    }
    this.issued += 1;
    const token = `${randomLetters(16)}.${this.issued}`;
    this.tokens.set(token, { ...owner, expiresAt: this.nowMs() + this.ttlMs });
    return token;
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

function randomLetters(count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) out += LETTERS[randomInt(LETTERS.length)] ?? 'a';
  return out;
}
