export { paxosDefinition, paxosStoreDefinition } from './definition.js';
export { paxosLeaseDefinition, LeaseNode, LeaseInvariantChecker } from './lease.js';
export { PaxosNode } from './node.js';
export { VersionedStoreNode } from './store.js';
export { PaxosInvariantChecker } from './invariants.js';
export { PAXOS_VARIANTS } from './options.js';
export type { PaxosMessage, PaxosRecord, PaxosValue } from './messages.js';
export { describeMessage } from './describe.js';
export { Network, paxosNetwork } from './harness.js';
/** The worked examples as guided tours: `synod scenario list` / `synod scenario run NAME`. */
export { PAXOS_SCENARIOS, findScenario } from './scenarios.js';
export type { Scenario, ScenarioStep, ScenarioOutcome } from './scenarios.js';
export { ScenarioRun, runScenario, type StepResult } from './scenario-runner.js';
