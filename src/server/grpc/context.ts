import type { handleUnaryCall, sendUnaryData, ServerUnaryCall, ServiceError } from '@grpc/grpc-js';
import { Metadata, status } from '@grpc/grpc-js';
import type { NodeId } from '../../core/ids.js';
import type { AuthGate } from '../auth/auth-gate.js';
import type { NodeConfig } from '../config.js';
import type { EtcdApplication, ServerOp, ServerResult } from '../etcd-application.js';
import type { ServerLogger } from '../logger.js';
import type { NodeRuntime } from '../node.js';
import { RequestError } from '../request-error.js';
import { memberOfNode } from '../membership.js';
import type { WatchHub } from '../watch-hub.js';
import type { ProtoObject } from './convert.js';
import type { GrpcFailure } from './etcd-errors.js';
import { ApiError, EtcdErrors, fromMvccError, fromRequestError } from './etcd-errors.js';

/** What every service handler works with. */
export interface EtcdContext {
  readonly config: NodeConfig;
  readonly runtime: NodeRuntime<ServerOp, ServerResult>;
  readonly app: EtcdApplication;
  readonly hub: WatchHub;
  /** Who a request is and what it may do (auth); absent, nothing is checked. */
  readonly gate?: AuthGate;
  readonly logger: ServerLogger;
  /** Watch progress notifications for watches that asked (etcd: every 10 minutes). */
  readonly progressNotifyIntervalMs: number;
}

/** `ResponseHeader` with this member's ids and the engine's term. */
export function headerOf(context: EtcdContext, revision: number): ProtoObject {
  return {
    cluster_id: context.config.clusterId.toString(),
    member_id: context.config.self.memberId.toString(),
    revision,
    raft_term: context.runtime.engine.term(),
  };
}

export function memberIdOfNode(context: EtcdContext, nodeId: NodeId | undefined): string {
  if (nodeId === undefined) return '0';
  const member = memberOfNode(context.app.membership(), nodeId);
  return member === undefined ? '0' : member.memberId;
}

/** Whether this member is a learner in the membership it has applied. */
export function isLearnerMember(context: EtcdContext): boolean {
  return memberOfNode(context.app.membership(), context.config.self.nodeId)?.isLearner === true;
}

/**
 * etcd's isRPCSupportedForLearner: a learner serves Status and serializable ranges only; anything
 * else (writes, linearizable reads, streams) would need it to be a voting member.
 */
export function learnerMayServe(method: string, request: ProtoObject): boolean {
  return method === 'Status' || (method === 'Range' && request.serializable === true);
}

/**
 * A linearizable no-op read: once it returns, this member has applied every write committed
 * before the call (through a forwarding engine too: the member waits until it has applied as far
 * as the leader that answered), so its state is as fresh as the leader's.
 */
export async function catchUp(context: EtcdContext): Promise<void> {
  await propose(context, { type: 'range', request: { key: '\0', countOnly: true } });
}

/** Proposes `op` and returns its result, turning etcd-level failures into ApiErrors. */
export async function propose(
  context: EtcdContext,
  op: ServerOp,
): Promise<ServerResult & { ok: true }> {
  let result: ServerResult;
  try {
    result = await context.runtime.submit(op, context.config.requestTimeoutMs);
  } catch (error) {
    if (error instanceof RequestError) throw new ApiError(fromRequestError(error));
    throw error;
  }
  if (!result.ok) throw new ApiError(fromMvccError(result.error));
  return result;
}

export function toServiceError(failure: GrpcFailure): Partial<ServiceError> {
  return { code: failure.code, details: failure.details, metadata: new Metadata() };
}

/** Maps anything a handler threw to a gRPC status: etcd's errors as given, bugs as INTERNAL. */
export function failureOf(context: EtcdContext, error: unknown, method: string): GrpcFailure {
  if (error instanceof ApiError) return error.failure;
  if (error instanceof RequestError) return fromRequestError(error);
  context.logger.error('handler failed', { method, error });
  return { code: status.INTERNAL, details: `synod: internal error in ${method}` };
}

/**
 * A unary handler: honours etcd's `hasleader` metadata (fail fast when the member has no leader),
 * then runs `handle`; every failure becomes a status, never a crash.
 */
export function unary(
  context: EtcdContext,
  method: string,
  handle: (request: ProtoObject) => Promise<ProtoObject>,
): handleUnaryCall<ProtoObject, ProtoObject> {
  return (
    call: ServerUnaryCall<ProtoObject, ProtoObject>,
    callback: sendUnaryData<ProtoObject>,
  ) => {
    if (requiresLeader(call.metadata) && context.runtime.leader() === undefined) {
      callback(toServiceError(EtcdErrors.noLeader));
      return;
    }
    if (isLearnerMember(context) && !learnerMayServe(method, call.request)) {
      callback(toServiceError(EtcdErrors.notSupportedForLearner));
      return;
    }
    const limit = context.config.maxRequestBytes;
    if (payloadBytes(call.request, limit) > limit) {
      callback(toServiceError(EtcdErrors.requestTooLarge));
      return;
    }
    handle(call.request).then(
      (response) => callback(null, response),
      (error: unknown) => callback(toServiceError(failureOf(context, error, method))),
    );
  };
}

/** Bytes of a decoded request's bytes and string fields, counting no further than `limit`. */
export function payloadBytes(value: unknown, limit: number): number {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && total <= limit) {
    const item = stack.pop();
    if (item instanceof Uint8Array) total += item.byteLength;
    else if (typeof item === 'string') total += item.length;
    else if (Array.isArray(item)) stack.push(...item);
    else if (typeof item === 'object' && item !== null) stack.push(...Object.values(item));
  }
  return total;
}

/** etcd refuses every stream but Snapshot at a learner; true when `call` was refused so. */
export function refusedAtLearner(
  context: EtcdContext,
  call: { emit: (event: 'error', error: Partial<ServiceError>) => boolean },
): boolean {
  if (!isLearnerMember(context)) return false;
  call.emit('error', toServiceError(EtcdErrors.notSupportedForLearner));
  return true;
}

export function requiresLeader(metadata: Metadata): boolean {
  return metadata.get('hasleader')[0] === 'true';
}
