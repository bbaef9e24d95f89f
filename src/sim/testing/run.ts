import type { RunResult } from '../simulation.js';
import { Simulation } from '../simulation.js';
import type { AnyProtocolDefinition } from '../registry.js';
import { resolveSimConfig } from '../scenario.js';
import type { TraceEvent } from '../trace.js';

/** A simulation of a test fixture protocol, not started: drive it with `step`, `runUntil`, `inject`. */
export function startFixture(
  definition: AnyProtocolDefinition,
  input: Record<string, unknown>,
): { simulation: Simulation; events: TraceEvent[] } {
  const config = resolveSimConfig({ protocol: definition.name, ...input }, 'test', definition);
  const events: TraceEvent[] = [];
  const simulation = new Simulation(config, { definition, onEvent: (event) => events.push(event) });
  return { simulation, events };
}

/** Runs a test fixture protocol with a configuration input; returns the result and every event. */
export function runFixture(
  definition: AnyProtocolDefinition,
  input: Record<string, unknown>,
): { result: RunResult; events: TraceEvent[]; simulation: Simulation } {
  const config = resolveSimConfig({ protocol: definition.name, ...input }, 'test', definition);
  const events: TraceEvent[] = [];
  const simulation = new Simulation(config, { definition, onEvent: (event) => events.push(event) });
  const result = simulation.run();
  return { result, events, simulation };
}

/** The events of one type, typed. */
export function ofType<T extends TraceEvent['type']>(
  events: readonly TraceEvent[],
  type: T,
): Extract<TraceEvent, { type: T }>[] {
  return events.filter((event): event is Extract<TraceEvent, { type: T }> => event.type === type);
}
