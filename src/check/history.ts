/**
 * The history format every checker reads and the simulator writes (documented in
 * docs/history-format.md). One entry per invocation or completion, in real-time order, as Jepsen
 * records them.
 *
 * - `invoke`: a client process started an operation; `value` is its argument.
 * - `ok`: it completed and took effect at one instant inside its interval; `value` is its result.
 * - `fail`: it completed without effect on the state.
 * - `info`: its outcome is unknown (a timeout, a crashed client); it took effect at some instant
 *   after its invocation, or never. An invocation with no completion is treated the same way.
 *
 * A process runs one operation at a time: its next `invoke` comes after the previous completion.
 */
export type HistoryEventType = 'invoke' | 'ok' | 'fail' | 'info';

export interface HistoryEvent {
  /** The client process (Jepsen's `:process`). */
  readonly process: number;
  readonly type: HistoryEventType;
  /**
   * The function. Register models: `read`, `write`, `cas`. KV models: `get`, `put`, `delete`,
   * `cas`, `inc`, `range`, `append` (see docs/history-format.md for each one's `value`).
   */
  readonly f: string;
  /** The key, for KV models; the checker partitions the history by it. */
  readonly key?: string;
  readonly value?: unknown;
  /** When it happened (any monotonic unit; the simulator writes virtual microseconds). */
  readonly time?: number;
}

export type History = readonly HistoryEvent[];

/** Which model of the object the history is checked against. */
export type ModelName = 'register' | 'cas-register' | 'kv';

export type Verdict = 'linearizable' | 'not linearizable' | 'unknown';

export const HISTORY_EVENT_TYPES: readonly HistoryEventType[] = ['invoke', 'ok', 'fail', 'info'];

export const MODEL_NAMES: readonly ModelName[] = ['register', 'cas-register', 'kv'];

/** The input formats `parseHistory` reads; `auto` detects one of the others from the text. */
export type HistoryFormat = 'json' | 'jepsen-log' | 'jepsen-edn';

export const HISTORY_FORMATS: readonly HistoryFormat[] = ['json', 'jepsen-log', 'jepsen-edn'];
