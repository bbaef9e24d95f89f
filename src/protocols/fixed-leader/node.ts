import { ReplicatedKv } from '../../core/replicated-kv.js';
import type { FixedLeaderEngine } from './engine.js';
import type { FixedLeaderMessage, FixedLeaderRecord } from './messages.js';

/** A fixed-leader node as the simulator runs it: the KV state machine over the engine. */
export class FixedLeaderNode extends ReplicatedKv<FixedLeaderMessage, FixedLeaderRecord> {
  constructor(readonly log: FixedLeaderEngine) {
    super(log);
  }
}
