export { MultiAcceptor } from './acceptor.js';
export { ChosenLog } from './chosen-log.js';
export { MultiPaxosKv, multiPaxosDefinition } from './definition.js';
export { MultiPaxosEngine, type AuditEvent, type MultiPaxosRole } from './engine.js';
export { MultiPaxosInvariantChecker } from './invariants.js';
export type * from './messages.js';
export * from './options.js';
export { ReadBarriers } from './read-barrier.js';
export { recoveryProposals } from './recovery.js';
