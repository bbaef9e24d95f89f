/** The replication strategies of seed 002, for the simulator's registry, the CLI and the visualizer. */
export { replicationDefinition } from './definition.js';
export { type StrategyFigures, measureFigures } from './figures.js';
export { type ClusterOptions, type MessageFilter, ReplicationCluster } from './harness.js';
export type { ReplicationMessage, ReplicationRecord } from './messages.js';
export type { ReplicationNode } from './node.js';
export {
  DEFAULT_REPLICATION_OPTIONS,
  REPLICATION_VARIANTS,
  type ReplicationOptions,
  type ReplicationVariant,
} from './options.js';
export { ScenarioRun, type StepResult, runScenario } from './scenario-runner.js';
export {
  REPLICATION_SCENARIOS,
  type Scenario,
  type ScenarioStep,
  findReplicationScenario,
} from './scenarios.js';
