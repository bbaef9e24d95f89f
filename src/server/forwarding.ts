import type { RequestErrorKind } from './request-error.js';

/**
 * Runtime-to-runtime messages for engines that do not forward proposals themselves (Multi-Paxos
 * refuses a proposal at a follower and names the leader): the member that took the request sends
 * it to the leader's runtime, which submits it there and replies with the result. Raft forwards
 * inside the protocol and never needs this. The `synod-` prefix keeps these apart from engine
 * messages on the same peer links.
 */
export interface ForwardRequest {
  readonly type: 'synod-forward';
  readonly forwardId: number;
  readonly op: unknown;
  readonly timeoutMs: number;
}

export type ForwardReply =
  | {
      readonly type: 'synod-forward-reply';
      readonly forwardId: number;
      readonly ok: true;
      readonly result: unknown;
      /**
       * The leader's applied index when it answered. The member that forwarded the request
       * answers its client once it has applied as far, so that what the client does next on that
       * member sees the request's effect (and a read forwarded as a barrier leaves the member as
       * current as the leader was). Absent from older members: answered at once.
       */
      readonly appliedIndex?: number;
    }
  | {
      readonly type: 'synod-forward-reply';
      readonly forwardId: number;
      readonly ok: false;
      readonly kind: RequestErrorKind;
      readonly message: string;
    };

const KINDS: readonly RequestErrorKind[] = [
  'no-leader',
  'timeout',
  'timeout-leader-fail',
  'overloaded',
  'stopping',
];

/** The longest a forwarded request may ask the leader to wait. */
export const FORWARD_TIMEOUT_MS_MAX = 600_000;

export function isForwardMessage(message: { readonly type: string }): boolean {
  return message.type === 'synod-forward' || message.type === 'synod-forward-reply';
}

/** Peer frames come from outside: anything malformed is refused (and dropped by the caller). */
export function validForwardRequest(message: Record<string, unknown>): ForwardRequest | undefined {
  if (message.type !== 'synod-forward') return undefined;
  if (!Number.isSafeInteger(message.forwardId)) return undefined;
  if (typeof message.op !== 'object' || message.op === null) return undefined;
  if (typeof (message.op as { type?: unknown }).type !== 'string') return undefined;
  const timeoutMs = message.timeoutMs;
  if (!Number.isSafeInteger(timeoutMs) || (timeoutMs as number) < 1) return undefined;
  if ((timeoutMs as number) > FORWARD_TIMEOUT_MS_MAX) return undefined;
  return message as unknown as ForwardRequest;
}

export function validForwardReply(message: Record<string, unknown>): ForwardReply | undefined {
  if (message.type !== 'synod-forward-reply' || !Number.isSafeInteger(message.forwardId))
    return undefined;
  if (message.ok === true) {
    const index = message.appliedIndex;
    if (index !== undefined && (!Number.isSafeInteger(index) || (index as number) < 0))
      return undefined;
    return message as unknown as ForwardReply;
  }
  if (message.ok !== false || !KINDS.includes(message.kind as RequestErrorKind)) return undefined;
  if (typeof message.message !== 'string') return undefined;
  return message as unknown as ForwardReply;
}
