import { createHash } from 'node:crypto';

/**
 * Member and cluster ids as etcd derives them (server/etcdserver/api/membership): a member's id is
 * the first 8 bytes (big-endian) of SHA-1 over its sorted peer URLs joined with no separator,
 * followed by the cluster token; the cluster id is the first 8 bytes of SHA-1 over the members'
 * ids, sorted, each as 8 big-endian bytes. So two members configured alike agree on both without
 * talking, and a node started with another token or membership gets a different cluster id and is
 * refused by the transport handshake. Ids are uint64 and kept as bigint (they exceed 2^53).
 */
export function memberIdOf(peerUrls: readonly string[], token: string): bigint {
  const text = [...peerUrls].sort().join('') + token;
  return first8Bytes(createHash('sha1').update(text).digest());
}

export function clusterIdOf(memberIds: readonly bigint[]): bigint {
  const sorted = [...memberIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const bytes = Buffer.alloc(8 * sorted.length);
  sorted.forEach((id, index) => bytes.writeBigUInt64BE(id, index * 8));
  return first8Bytes(createHash('sha1').update(bytes).digest());
}

function first8Bytes(digest: Buffer): bigint {
  return digest.readBigUInt64BE(0);
}

/** etcd prints ids as lowercase hex without leading zeros (types.ID.String). */
export function idToHex(id: bigint): string {
  return id.toString(16);
}
