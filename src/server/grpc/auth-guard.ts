import type {
  handleServerStreamingCall,
  handleUnaryCall,
  Metadata,
  sendUnaryData,
  ServerUnaryCall,
  ServerWritableStream,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { prefixEnd } from '../../storage/mvcc/index.js';
import type { AuthGate, AuthInfo, GateError } from '../auth/auth-gate.js';
import { AuthDenied } from '../auth/auth-gate.js';
import type { EtcdContext } from './context.js';
import { catchUp, failureOf, toServiceError } from './context.js';
import { type ProtoObject, bytesField, leaseIdField } from './convert.js';
import { ApiError, type GrpcFailure } from './etcd-errors.js';
import { asRecipeError } from './recipes.js';

/**
 * etcd's permission checks, put in front of the services they guard, so the services themselves
 * stay as they were: each guarded method resolves the caller from the `token` metadata and checks
 * the request before the handler runs. Methods not listed are not checked (as in etcd 3.4: Status,
 * Alarm, MemberList, LeaseGrant, keep-alives, TimeToLive).
 */

const CODES: Record<GateError['code'], status> = {
  InvalidArgument: status.INVALID_ARGUMENT,
  OutOfRange: status.OUT_OF_RANGE,
  NotFound: status.NOT_FOUND,
  FailedPrecondition: status.FAILED_PRECONDITION,
  ResourceExhausted: status.RESOURCE_EXHAUSTED,
  PermissionDenied: status.PERMISSION_DENIED,
  Unauthenticated: status.UNAUTHENTICATED,
};

export function fromGateError(error: GateError): GrpcFailure {
  return { code: CODES[error.code], details: error.message };
}

/** Throws the gate's refusal as an ApiError, which every handler turns into its status. */
export function checked<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof AuthDenied) throw new ApiError(fromGateError(error.error));
    throw error;
  }
}

type Check = (gate: AuthGate, info: AuthInfo, request: ProtoObject) => void;

const read =
  (key: string, end: string): Check =>
  (gate, info, request) =>
    gate.requireRange(info, bytesField(request, key), bytesField(request, end), false);

const admin: Check = (gate, info) => gate.requireAdmin(info);

/** etcd's checkTxnReqsPermission: reads for compares and ranges, writes for puts and deletes. */
function checkTxn(gate: AuthGate, info: AuthInfo, txn: ProtoObject): void {
  for (const compare of (txn.compare as ProtoObject[] | undefined) ?? [])
    gate.requireRange(info, bytesField(compare, 'key'), bytesField(compare, 'range_end'), false);
  for (const branch of ['success', 'failure'])
    for (const op of (txn[branch] as ProtoObject[] | undefined) ?? []) checkOp(gate, info, op);
}

function checkOp(gate: AuthGate, info: AuthInfo, op: ProtoObject): void {
  const which = op.request as string | undefined;
  const request = (which === undefined ? undefined : op[which]) as ProtoObject | undefined;
  if (request === undefined) return;
  switch (which) {
    case 'request_range':
      read('key', 'range_end')(gate, info, request);
      break;
    case 'request_put':
      checkWrite(gate, info, request, 'key', '');
      break;
    case 'request_delete_range':
      checkWrite(gate, info, request, 'key', 'range_end');
      break;
    case 'request_txn':
      checkTxn(gate, info, request);
      break;
  }
}

/** A write, and a read too when the previous value is asked for (etcd: prev_kv needs read). */
function checkWrite(
  gate: AuthGate,
  info: AuthInfo,
  request: ProtoObject,
  keyField: string,
  endField: string,
): void {
  const key = bytesField(request, keyField);
  const end = endField === '' ? '' : bytesField(request, endField);
  gate.requireRange(info, key, end, true);
  if (request.prev_kv === true) gate.requireRange(info, key, end, false);
}

/** Lock and Election work on `name/`: reading it and creating the caller's key under it. */
function recipePrefix(write: boolean, nameOf: (request: ProtoObject) => string): Check {
  return (gate, info, request) => {
    const prefix = `${nameOf(request)}/`;
    gate.requireRange(info, prefix, prefixEnd(prefix), false);
    if (write) gate.requireRange(info, prefix, prefixEnd(prefix), true);
  };
}

const leaderName = (request: ProtoObject) =>
  typeof request.leader === 'object' && request.leader !== null
    ? bytesField(request.leader as ProtoObject, 'name')
    : '';

/** The checks per service and method. */
export function guardChecks(context: EtcdContext): Record<string, Record<string, Check>> {
  return {
    KV: {
      Range: read('key', 'range_end'),
      Put: (gate, info, request) => checkWrite(gate, info, request, 'key', ''),
      DeleteRange: (gate, info, request) => checkWrite(gate, info, request, 'key', 'range_end'),
      Txn: checkTxn,
      Compact: () => undefined, // the token must be valid, nothing more (etcd 3.4)
    },
    Lease: {
      // etcd's checkLeasePuts: revoking deletes the lease's keys, so each must be writable.
      LeaseRevoke: (gate, info, request) => {
        if (info.user === undefined) return; // auth is off: skip collecting the keys
        const keys = context.app.store.leaseKeys(leaseIdField(request, 'ID')) ?? [];
        for (const key of keys) gate.requireRange(info, key, '', true);
      },
    },
    Maintenance: { Defragment: admin, Hash: admin, HashKV: admin, Snapshot: admin },
    Cluster: { MemberAdd: admin, MemberRemove: admin, MemberUpdate: admin, MemberPromote: admin },
    Lock: {
      Lock: recipePrefix(true, (request) => bytesField(request, 'name')),
      Unlock: (gate, info, request) =>
        gate.requireRange(info, bytesField(request, 'key'), '', true),
    },
    Election: {
      Campaign: recipePrefix(true, (request) => bytesField(request, 'name')),
      Proclaim: recipePrefix(true, leaderName),
      Resign: recipePrefix(true, leaderName),
      Leader: recipePrefix(false, (request) => bytesField(request, 'name')),
      Observe: recipePrefix(false, (request) => bytesField(request, 'name')),
    },
  };
}

/**
 * etcd's maintenance server returns the auth package's own errors, which carry no gRPC status:
 * grpc-go sends them as UNKNOWN with their `auth: ...` text (etcd 3.4.23: HashKV by a non-root
 * user fails with code 2, `auth: permission denied`).
 */
const AUTH_PACKAGE_TEXT: Record<string, string> = {
  'etcdserver: user name is empty': 'auth: user name is empty',
  'etcdserver: user name not found': 'auth: user not found',
  'etcdserver: permission denied': 'auth: permission denied',
  'etcdserver: invalid auth token': 'auth: invalid auth token',
};

/**
 * `implementation` with the guarded methods checked first. Lock and Election refuse as etcd's
 * recipes do (UNKNOWN with the text: their in-process client hands the KV's refusal on), and
 * Maintenance as its server does (`AUTH_PACKAGE_TEXT`).
 */
export function guarded(
  context: EtcdContext,
  gate: AuthGate,
  service: string,
  implementation: UntypedServiceImplementation,
): UntypedServiceImplementation {
  const checks = guardChecks(context)[service] ?? {};
  const recipe = service === 'Lock' || service === 'Election';
  const refusal = (method: string, error: unknown): GrpcFailure => {
    const failure = failureOf(context, checkedError(error), method);
    if (recipe) return failureOf(context, asRecipeError(new ApiError(failure)), method);
    const text = AUTH_PACKAGE_TEXT[failure.details];
    if (service === 'Maintenance' && text !== undefined)
      return { code: status.UNKNOWN, details: text };
    return failure;
  };
  const run = (check: Check, metadata: Metadata, request: ProtoObject) =>
    check(gate, gate.infoOf(metadata), request);
  /**
   * A refusal stands only if the check still fails once this member has caught up with the log
   * (a read barrier): the auth state or token that allows the request may have been applied
   * elsewhere first (`auth disable`, a grant, a token issued by another member). Resolves with
   * the refusal, or undefined to go ahead.
   */
  const recheck = async (
    check: Check,
    metadata: Metadata,
    request: ProtoObject,
    refused: unknown,
  ): Promise<unknown | undefined> => {
    try {
      await catchUp(context);
    } catch {
      return refused; // no barrier (no leader, timed out): the refusal stands
    }
    try {
      run(check, metadata, request);
      return undefined;
    } catch (again) {
      return again;
    }
  };
  const admit = async (check: Check, metadata: Metadata, request: ProtoObject) => {
    try {
      run(check, metadata, request);
      return undefined;
    } catch (error) {
      return recheck(check, metadata, request, error);
    }
  };
  const wrapped: UntypedServiceImplementation = { ...implementation };
  for (const [method, check] of Object.entries(checks)) {
    const inner = implementation[method];
    if (inner === undefined) continue;
    if (service === 'Election' && method === 'Observe') {
      const stream = inner as handleServerStreamingCall<ProtoObject, ProtoObject>;
      wrapped[method] = (call: ServerWritableStream<ProtoObject, ProtoObject>) => {
        void admit(check, call.metadata, call.request).then((refused) => {
          if (refused === undefined) stream(call);
          else call.emit('error', toServiceError(refusal(method, refused)));
        });
      };
      continue;
    }
    const unary = inner as handleUnaryCall<ProtoObject, ProtoObject>;
    wrapped[method] = (
      call: ServerUnaryCall<ProtoObject, ProtoObject>,
      callback: sendUnaryData<ProtoObject>,
    ) => {
      try {
        run(check, call.metadata, call.request);
      } catch (error) {
        void recheck(check, call.metadata, call.request, error).then((refused) => {
          if (refused === undefined) unary(call, callback);
          else callback(toServiceError(refusal(method, refused)));
        });
        return;
      }
      unary(call, callback);
    };
  }
  return wrapped;
}

function checkedError(error: unknown): unknown {
  return error instanceof AuthDenied ? new ApiError(fromGateError(error.error)) : error;
}

/** grpc-go's names of the codes a refused watch can carry in its cancel reason. */
const GO_CODE_NAMES: Partial<Record<GateError['code'], string>> = {
  InvalidArgument: 'InvalidArgument',
  FailedPrecondition: 'FailedPrecondition',
  PermissionDenied: 'PermissionDenied',
  Unauthenticated: 'Unauthenticated',
};

/**
 * Why a watch on [key, rangeEnd) is refused, as etcd writes it in the cancel reason (grpc-go's
 * text of the status: `rpc error: code = PermissionDenied desc = etcdserver: permission denied`),
 * or undefined when it is allowed.
 */
export function watchRefusal(
  gate: AuthGate,
  metadata: Metadata,
  key: string,
  rangeEnd: string,
): string | undefined {
  try {
    gate.requireRange(gate.infoOf(metadata), key, rangeEnd, false);
    return undefined;
  } catch (error) {
    if (!(error instanceof AuthDenied)) throw error;
    // A deleted user and the like: etcd reports every other refusal as permission denied.
    const denied =
      GO_CODE_NAMES[error.error.code] === undefined || error.error.code === 'FailedPrecondition'
        ? { code: 'PermissionDenied' as const, message: 'etcdserver: permission denied' }
        : error.error;
    return `rpc error: code = ${GO_CODE_NAMES[denied.code] ?? 'Unknown'} desc = ${denied.message}`;
  }
}
