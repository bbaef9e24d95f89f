import type { NodeId } from '../core/ids.js';
import type { KvOp } from '../core/kv.js';
import type { NodeInspection } from '../core/protocol.js';
import type { SimConfig } from './config.js';
import type { NemesisAction } from './nemesis.js';

/** Bumped whenever a reader of an older trace would misread a newer one (docs/trace-format.md). */
export const TRACE_FORMAT_VERSION = 1;

export type DropReason =
  | 'loss'
  | 'partition'
  | 'crashed'
  | 'overload'
  /** The sender crashed while the message waited for its fsync: it never left. */
  | 'sender-crashed';

/**
 * One line of a trace. Every event carries `t` (virtual microseconds) and `type`; the visualizer
 * and the checkers read these and nothing else (the xstate "inspection event" idea).
 */
export type TraceEvent =
  | {
      readonly t: 0;
      readonly type: 'header';
      readonly format: 'synod-trace';
      readonly version: number;
      readonly seed: number;
      readonly protocol: string;
      readonly variant: string;
      readonly nodes: readonly NodeId[];
      readonly config: SimConfig;
    }
  | {
      readonly t: number;
      readonly type: 'send';
      readonly id: number;
      readonly from: NodeId;
      readonly to: NodeId;
      readonly message: unknown;
      readonly deliverAt: number;
    }
  | {
      readonly t: number;
      readonly type: 'duplicate';
      readonly id: number;
      readonly of: number;
      readonly from: NodeId;
      readonly to: NodeId;
      readonly message: unknown;
      readonly deliverAt: number;
    }
  | {
      readonly t: number;
      readonly type: 'deliver';
      readonly id: number;
      readonly from: NodeId;
      readonly to: NodeId;
      readonly message: unknown;
    }
  | {
      readonly t: number;
      readonly type: 'drop';
      readonly id: number;
      readonly from: NodeId;
      readonly to: NodeId;
      readonly message: unknown;
      readonly reason: DropReason;
    }
  | { readonly t: number; readonly type: 'crash'; readonly node: NodeId; readonly lostOps: number }
  | {
      readonly t: number;
      readonly type: 'restart';
      readonly node: NodeId;
      readonly incarnation: number;
      readonly restoredRecords: number;
    }
  | { readonly t: number; readonly type: 'pause'; readonly node: NodeId }
  | { readonly t: number; readonly type: 'resume'; readonly node: NodeId; readonly backlog: number }
  | {
      readonly t: number;
      readonly type: 'partition';
      /** Directed links now cut, as [from, to] pairs, sorted. */
      readonly cut: readonly (readonly [NodeId, NodeId])[];
      readonly description: string;
    }
  | { readonly t: number; readonly type: 'heal' }
  | {
      readonly t: number;
      readonly type: 'skew';
      readonly node: NodeId;
      readonly offsetUs: number;
      readonly driftPpm: number;
    }
  | {
      readonly t: number;
      readonly type: 'storm';
      readonly lossProbability: number;
      readonly duplicateProbability: number;
      readonly reorderProbability: number;
    }
  | { readonly t: number; readonly type: 'calm' }
  | {
      readonly t: number;
      readonly type: 'nemesis';
      readonly action: NemesisAction;
      readonly applied: boolean;
    }
  | {
      readonly t: number;
      readonly type: 'state';
      readonly node: NodeId;
      readonly role: string;
      readonly epoch: NodeInspection['epoch'] | null;
      readonly leader: NodeId | null;
    }
  | {
      readonly t: number;
      readonly type: 'invoke';
      readonly process: number;
      readonly request: number;
      readonly node: NodeId;
      readonly op: KvOp;
    }
  | {
      readonly t: number;
      readonly type: 'complete';
      readonly process: number;
      readonly request: number;
      readonly node: NodeId;
      readonly outcome: 'ok' | 'fail' | 'info';
      readonly result?: unknown;
      readonly error?: string;
    }
  | {
      readonly t: number;
      readonly type: 'note';
      readonly node: NodeId;
      readonly kind: string;
      readonly text: string;
      readonly data?: unknown;
    }
  | {
      readonly t: number;
      readonly type: 'persist';
      readonly node: NodeId;
      readonly ops: readonly { readonly kind: 'append' | 'replace'; readonly records: number }[];
      readonly sync: boolean;
    }
  | { readonly t: number; readonly type: 'sync'; readonly node: NodeId; readonly ops: number }
  | {
      readonly t: number;
      readonly type: 'violation';
      readonly kind: 'invariant' | 'linearizability';
      readonly invariant?: string;
      readonly message: string;
      readonly nodes?: readonly NodeId[];
    }
  | {
      readonly t: number;
      readonly type: 'end';
      readonly ok: boolean;
      readonly linearizability: string | null;
      readonly stats: Readonly<Record<string, number>>;
    };

export type TraceEventType = TraceEvent['type'];

/** Where trace events go: JSON lines for files and the CLI, objects for the visualizer. */
export interface TraceSinks {
  /** Receives each event as one line of JSON, without the newline. */
  readonly trace?: (line: string) => void;
  /** Receives each event as an object (no serialization cost). */
  readonly onEvent?: (event: TraceEvent) => void;
}

/**
 * Emits trace events to the sinks. `enabled` is false when no sink is attached; callers test it
 * before building an event, so a run without a trace pays nothing for tracing.
 */
export class Tracer {
  readonly enabled: boolean;

  constructor(private readonly sinks: TraceSinks) {
    this.enabled = sinks.trace !== undefined || sinks.onEvent !== undefined;
  }

  emit(event: TraceEvent): void {
    if (this.sinks.onEvent !== undefined) this.sinks.onEvent(event);
    if (this.sinks.trace !== undefined) this.sinks.trace(JSON.stringify(event));
  }
}
