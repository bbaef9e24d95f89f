/**
 * The checkers: the history format and its parsers (JSON, Jepsen logs, Jepsen EDN), the models, and
 * the linearizability checker. Runs in the browser as well as in Node: no Node imports here.
 */
export type {
  History,
  HistoryEvent,
  HistoryEventType,
  HistoryFormat,
  ModelName,
  Verdict,
} from './history.js';
export { HISTORY_EVENT_TYPES, HISTORY_FORMATS, MODEL_NAMES } from './history.js';
export { HistoryError, type HistoryErrorCode, type HistoryErrorLocation } from './errors.js';
export {
  detectHistoryFormat,
  parseHistory,
  type ParseHistoryOptions,
  type ParsedHistory,
} from './parse.js';
export { checkHistory, type CheckOptions, type CheckResult, type Violation } from './check.js';
export { inferModel } from './models.js';
export { type OperationView, renderOperation } from './report.js';
export { type Operation, type OperationStatus, pairEvents } from './operations.js';
export { isLinearizableByBruteForce, BRUTE_FORCE_OPERATIONS_MAX } from './brute-force.js';
export {
  EdnKeyword,
  EdnMap,
  EdnSymbol,
  EdnSyntaxError,
  type EdnValue,
  readEdn,
  readAllEdn,
  ednToJson,
} from './edn.js';
