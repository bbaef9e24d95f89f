import { assert } from './assert.js';
import { type KvOp, type KvResult, type KvSnapshot, KvStateMachine, isReadOnly } from './kv.js';
import type {
  ClientRequest,
  NodeInspection,
  ProtocolMessage,
  ProtocolNode,
  Ready,
} from './protocol.js';
import type { ReplicatedLog } from './replicated-log.js';
import {
  type LogCommand,
  type ReplicatedApplication,
  ReplicatedStateMachine,
  type ReplicatedStateMachineOptions,
} from './replicated-state-machine.js';

/** What a replicated KV puts in the log: the operation and who must answer the client. */
export type KvCommand = LogCommand<KvOp>;

export type ReplicatedKvOptions = ReplicatedStateMachineOptions;

export const DEFAULT_REPLICATED_KV_OPTIONS: ReplicatedKvOptions = {
  snapshotEveryEntries: 0,
  pendingRequestsMax: 10_000,
};

/** The KV state machine as a `ReplicatedApplication`: reads and writes are the same pure `apply`. */
function kvApplication(state: KvStateMachine): ReplicatedApplication<KvOp, KvResult> {
  return {
    isReadOnly,
    apply: (op) => state.apply(op),
    read: (op) => state.apply(op),
    snapshot: () => state.snapshot(),
    restore: (data) => {
      assert(Array.isArray(data), 'a KV snapshot is an array of [key, value] pairs');
      state.restore(data as KvSnapshot);
    },
  };
}

/**
 * The KV state machine driven by any `ReplicatedLog` engine (see `ReplicatedStateMachine`, which
 * holds the logic: writes through the log, answered where they were taken; reads after a barrier).
 */
export class ReplicatedKv<M extends ProtocolMessage, R>
  extends ReplicatedStateMachine<KvOp, KvResult, M, R>
  implements ProtocolNode<M, R>
{
  readonly state: KvStateMachine;

  constructor(
    engine: ReplicatedLog<KvCommand, M, R>,
    options: ReplicatedKvOptions = DEFAULT_REPLICATED_KV_OPTIONS,
  ) {
    const state = new KvStateMachine();
    super(engine, kvApplication(state), options);
    this.state = state;
  }

  override request(request: ClientRequest): void {
    super.request(request);
  }

  override ready(): Ready<M, R> {
    return super.ready();
  }

  override inspect(): NodeInspection {
    const inspection = super.inspect();
    return {
      ...inspection,
      state: { ...inspection.state, kv: Object.fromEntries(this.state.snapshot()) },
    };
  }
}
