import type { TraceEvent } from '../../../src/sim/index.js';
import { messageLabel } from '../model/frame.js';

/** One line per trace event, for the events list. */
export function describeEvent(event: TraceEvent): string {
  switch (event.type) {
    case 'header':
      return `start: ${event.protocol}/${event.variant}, seed ${event.seed}, ${event.nodes.length} nodes`;
    case 'send':
      return `n${event.from} → n${event.to} send ${messageLabel(event.message)}`;
    case 'duplicate':
      return `n${event.from} → n${event.to} duplicate of #${event.of} ${messageLabel(event.message)}`;
    case 'deliver':
      return `n${event.to} ← n${event.from} deliver ${messageLabel(event.message)}`;
    case 'drop':
      return `n${event.from} → n${event.to} DROP ${messageLabel(event.message)} (${event.reason})`;
    case 'crash':
      return `n${event.node} crashed (${event.lostOps} unsynced writes lost)`;
    case 'restart':
      return `n${event.node} restarted (incarnation ${event.incarnation}, ${event.restoredRecords} records)`;
    case 'pause':
      return `n${event.node} paused`;
    case 'resume':
      return `n${event.node} resumed (${event.backlog} inputs waited)`;
    case 'partition':
      return `partition: ${event.description}`;
    case 'heal':
      return 'network healed';
    case 'skew':
      return `n${event.node} clock skew ${event.offsetUs} µs, ${event.driftPpm} ppm`;
    case 'storm':
      return `storm: loss ${pct(event.lossProbability)}, duplication ${pct(event.duplicateProbability)}`;
    case 'calm':
      return 'calm: configured network again';
    case 'nemesis':
      return `nemesis ${event.action.type}${event.applied ? '' : ' (changed nothing)'}`;
    case 'state': {
      const epoch = event.epoch ? `, ${event.epoch.name} ${event.epoch.value}` : '';
      const leader = event.leader === null ? '' : `, leader n${event.leader}`;
      return `n${event.node} is ${event.role}${epoch}${leader}`;
    }
    case 'invoke':
      return `client ${event.process} → n${event.node}: ${JSON.stringify(event.op)}`;
    case 'complete':
      return `client ${event.process} ← n${event.node}: ${event.outcome}${event.error === undefined ? '' : ` (${event.error})`}${event.result === undefined ? '' : ` ${JSON.stringify(event.result)}`}`;
    case 'note':
      return `n${event.node}: ${event.text}`;
    case 'persist':
      return `n${event.node} writes ${event.ops.reduce((sum, op) => sum + op.records, 0)} records${event.sync ? '' : ' (no fsync wait!)'}`;
    case 'sync':
      return `n${event.node} fsync done (${event.ops} writes durable)`;
    case 'violation':
      return `VIOLATION ${event.invariant ?? event.kind}: ${event.message}`;
    case 'end':
      return `end: ${event.ok ? 'ok' : 'failed'}, linearizability ${event.linearizability ?? 'not checked'}`;
    default:
      return JSON.stringify(event);
  }
}

function pct(probability: number): string {
  return `${Math.round(probability * 100)}%`;
}

/** Events not worth a line: fsync bookkeeping is shown on the node, not in the list. */
export function isQuiet(event: TraceEvent): boolean {
  return event.type === 'persist' || event.type === 'sync';
}
