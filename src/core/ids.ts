import { assert } from './assert.js';

/**
 * A node's identity: a small non-negative integer, unique within a cluster. The simulator and the
 * visualizer number nodes 0..n-1; the server maps its member ids onto the same type.
 */
export type NodeId = number;

/** The largest node id that fits the low bits of a proposal number (see ballot.ts). */
export const NODE_ID_MAX = 0xffff;

export function isNodeId(value: unknown): value is NodeId {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= NODE_ID_MAX;
}

export function assertNodeId(value: unknown): asserts value is NodeId {
  assert(isNodeId(value), `not a node id: ${String(value)}`);
}

/** The ids 0..count-1, the default membership of a simulated cluster. */
export function nodeIds(count: number): NodeId[] {
  assert(
    Number.isInteger(count) && count >= 1 && count <= NODE_ID_MAX + 1,
    `bad node count ${count}`,
  );
  return Array.from({ length: count }, (_, index) => index);
}
