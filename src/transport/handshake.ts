import type { NodeId } from '../core/ids.js';
import { isNodeId } from '../core/ids.js';

/**
 * The first frame on every peer connection, from the dialer. The acceptor answers with a welcome
 * or a refusal (then closes). Version and cluster id are checked on both sides, so a node from
 * another cluster (a copied config, a reused address) can never exchange a message with this one.
 */
export const PROTOCOL_VERSION = 1;

export interface Hello {
  readonly synod: 'hello';
  readonly protocolVersion: number;
  readonly clusterId: string;
  /** The dialing node. */
  readonly nodeId: NodeId;
  /** The node the dialer believes it reached; a mismatch means a wrong address in a config. */
  readonly toNodeId: NodeId;
}

export interface Welcome {
  readonly synod: 'welcome';
  readonly protocolVersion: number;
  readonly clusterId: string;
  readonly nodeId: NodeId;
}

export interface Refusal {
  readonly synod: 'refused';
  readonly reason: string;
  /** Set when the refusal is final for the dialer (e.g. `removed`: it left the cluster). */
  readonly code?: string;
  readonly clusterId: string;
  readonly nodeId: NodeId;
}

export interface LocalIdentity {
  readonly clusterId: string;
  readonly nodeId: NodeId;
}

/** Why the acceptor refuses `hello`, or undefined to accept. */
export function checkHello(
  value: Record<string, unknown>,
  local: LocalIdentity,
): string | undefined {
  if (value.synod !== 'hello') return 'the first frame is not a hello';
  if (value.protocolVersion !== PROTOCOL_VERSION) {
    return `protocol version ${String(value.protocolVersion)} is not ${PROTOCOL_VERSION}`;
  }
  if (typeof value.clusterId !== 'string' || !isNodeId(value.nodeId) || !isNodeId(value.toNodeId)) {
    return 'malformed hello';
  }
  if (value.clusterId !== local.clusterId) {
    return `cluster id mismatch: peer is in cluster "${value.clusterId}", this node is in cluster "${local.clusterId}"`;
  }
  if (value.nodeId === local.nodeId) {
    return `peer claims node id ${value.nodeId}, which is this node's own (duplicate node id?)`;
  }
  if (value.toNodeId !== local.nodeId) {
    return `peer dialed node ${value.toNodeId}, but this is node ${local.nodeId} (wrong peer address?)`;
  }
  return undefined;
}

/** Why the dialer rejects the acceptor's answer, or undefined when it is a matching welcome. */
export function checkAnswer(
  value: Record<string, unknown>,
  local: LocalIdentity,
  expectedNodeId: NodeId,
): string | undefined {
  if (value.synod === 'refused') {
    return `refused by the peer: ${String(value.reason)} (peer cluster "${String(value.clusterId)}", this cluster "${local.clusterId}")`;
  }
  if (value.synod !== 'welcome') return 'the answer to hello is not a welcome';
  if (value.protocolVersion !== PROTOCOL_VERSION) {
    return `protocol version ${String(value.protocolVersion)} is not ${PROTOCOL_VERSION}`;
  }
  if (value.clusterId !== local.clusterId) {
    return `cluster id mismatch: peer is in cluster "${String(value.clusterId)}", this node is in cluster "${local.clusterId}"`;
  }
  if (value.nodeId !== expectedNodeId) {
    return `expected node ${expectedNodeId} at this address, found node ${String(value.nodeId)}`;
  }
  return undefined;
}

/**
 * A one-shot question instead of a hello (etcd's GET /members on the peer port): a node that is
 * joining a running cluster does not know the cluster id yet, so it asks a member for the
 * membership. The acceptor answers one frame and closes.
 */
export interface Query {
  readonly synod: 'query';
  readonly protocolVersion: number;
  readonly query: Record<string, unknown>;
}

export interface QueryAnswer {
  readonly synod: 'answer';
  readonly answer: Record<string, unknown>;
}

/** Why an acceptor refuses a node it knows (e.g. removed from the cluster); undefined admits it. */
export interface Admission {
  readonly code: string;
  readonly reason: string;
}
