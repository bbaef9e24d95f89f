/**
 * The deterministic simulator: the API the CLI (`synod sim`) and the visualizer build on.
 * Browser-safe: nothing here imports Node.
 */
export * from './config.js';
export { EventQueue } from './event-queue.js';
export {
  NEMESIS_NAMES,
  type NemesisAction,
  type NemesisName,
  type NodeSelector,
  type TimedAction,
  generateSchedule,
  isNemesisName,
} from './nemesis.js';
export { INTERACTIVE_PROCESS_BASE } from './clients.js';
export {
  type AnyProtocolDefinition,
  PROTOCOLS,
  type VariantListing,
  findProtocol,
  listVariants,
  protocolNames,
} from './registry.js';
export { DEFAULT_LINEARIZABILITY_STEPS, parseScenario, resolveSimConfig } from './scenario.js';
export {
  type LinearizabilityCheck,
  type LinearizabilityOutcome,
  type NodeSnapshot,
  type RunResult,
  type SimStats,
  type SimViolation,
  Simulation,
  type SimulationOptions,
} from './simulation.js';
export {
  type SeedRange,
  type SweepProgress,
  type SweepResult,
  runSimulation,
  sweep,
} from './sweep.js';
export {
  type DropReason,
  TRACE_FORMAT_VERSION,
  type TraceEvent,
  type TraceEventType,
  type TraceSinks,
} from './trace.js';
export { TOURS, findTour } from './tours.js';
