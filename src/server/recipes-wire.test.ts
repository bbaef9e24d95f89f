import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceError } from '@grpc/grpc-js';
import { Client, Metadata, credentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNodeFlags } from './config.js';
import { EtcdServer } from './etcd-server.js';
import { silentLogger } from './logger.js';
import { freePort, waitUntil } from './testing/process-cluster.js';

/**
 * The Lock and Election services spoken to in protobuf bytes encoded by hand from etcd 3.4's
 * v3lock.proto and v3election.proto (field numbers and wire types as etcd's generated Go code
 * has them), on etcd's service paths, so a wrong number or type in our .proto files fails here
 * even though our own client would agree with it. Errors are checked against what etcd 3.4.23
 * answers to the same bytes (code 2, UNKNOWN, for everything its recipes return).
 */

type Field = { readonly number: number } & (
  { readonly varint: bigint } | { readonly bytes: Uint8Array }
);

function varint(value: bigint): number[] {
  let rest = BigInt.asUintN(64, value);
  const out: number[] = [];
  do {
    const low = Number(rest & 0x7fn);
    rest >>= 7n;
    out.push(rest === 0n ? low : low | 0x80);
  } while (rest !== 0n);
  return out;
}

function encode(fields: readonly Field[]): Buffer {
  const out: number[] = [];
  for (const field of fields) {
    if ('varint' in field) out.push(...varint(BigInt(field.number << 3)), ...varint(field.varint));
    else
      out.push(
        ...varint(BigInt((field.number << 3) | 2)),
        ...varint(BigInt(field.bytes.length)),
        ...field.bytes,
      );
  }
  return Buffer.from(out);
}

/** Field number → values (bytes for length-delimited, bigint for varints). */
type Decoded = Map<number, (Buffer | bigint)[]>;

function decode(buffer: Buffer): Decoded {
  const fields: Decoded = new Map();
  let at = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buffer[at++];
      if (byte === undefined) throw new Error('truncated varint');
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (at < buffer.length) {
    const tag = Number(readVarint());
    const number = tag >> 3;
    let value: Buffer | bigint;
    if ((tag & 7) === 0) value = readVarint();
    else if ((tag & 7) === 2) {
      const length = Number(readVarint());
      value = buffer.subarray(at, at + length);
      at += length;
    } else throw new Error(`unexpected wire type ${tag & 7}`);
    fields.set(number, [...(fields.get(number) ?? []), value]);
  }
  return fields;
}

function one(fields: Decoded, number: number): Buffer | bigint | undefined {
  return fields.get(number)?.[0];
}

const text = (value: string) => new TextEncoder().encode(value);

describe('Lock and Election on the wire, as etcd 3.4 defines them', () => {
  let server: EtcdServer;
  let dataDir: string;
  let client: Client;

  const unary = (path: string, request: Buffer, metadata = new Metadata()): Promise<Decoded> =>
    new Promise((resolve, reject) => {
      client.makeUnaryRequest(
        path,
        (bytes: Buffer) => bytes,
        (bytes: Buffer) => bytes,
        request,
        metadata,
        (error: ServiceError | null, response?: Buffer) => {
          if (error !== null) reject(error);
          else resolve(decode(response ?? Buffer.alloc(0)));
        },
      );
    });

  const failure = async (path: string, request: Buffer): Promise<ServiceError> => {
    try {
      await unary(path, request);
    } catch (error) {
      return error as ServiceError;
    }
    throw new Error(`expected ${path} to fail`);
  };

  /** ResponseHeader (etcdserverpb): cluster_id 1, member_id 2, revision 3, raft_term 4. */
  const revisionOf = (response: Decoded): bigint => {
    const header = one(response, 1);
    if (!(header instanceof Buffer)) throw new Error('no header (field 1)');
    const revision = one(decode(header), 3);
    if (typeof revision !== 'bigint') throw new Error('no header.revision (field 3)');
    return revision;
  };

  const grant = async (ttl: number): Promise<bigint> => {
    // LeaseGrantRequest: TTL 1, ID 2; the response's ID is field 2.
    const response = await unary(
      '/etcdserverpb.Lease/LeaseGrant',
      encode([{ number: 1, varint: BigInt(ttl) }]),
    );
    const id = one(response, 2);
    if (typeof id !== 'bigint') throw new Error('no lease id');
    return id;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'synod-wire-'));
    const clientPort = await freePort();
    const peerPort = await freePort();
    const config = parseNodeFlags({
      name: 'solo',
      dataDir,
      listenClientUrls: `http://127.0.0.1:${clientPort}`,
      listenPeerUrls: `http://127.0.0.1:${peerPort}`,
    });
    server = await EtcdServer.start(config, {
      logger: silentLogger,
      onFatal: (error) => {
        throw error;
      },
    });
    client = new Client(`127.0.0.1:${clientPort}`, credentials.createInsecure());
    await waitUntil(() => server.runtime.leader() !== undefined, 10_000);
  }, 30_000);

  afterAll(async () => {
    client?.close();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  it('locks with LockRequest{name=1, lease=2} and answers LockResponse{header=1, key=2}', async () => {
    const lease = await grant(30);
    const request = encode([
      { number: 1, bytes: text('wire-lock') },
      { number: 2, varint: lease },
    ]);
    const locked = await unary('/v3lockpb.Lock/Lock', request);
    const key = one(locked, 2);
    expect(key).toBeInstanceOf(Buffer);
    expect((key as Buffer).toString()).toBe(`wire-lock/${lease.toString(16)}`);
    const lockRevision = revisionOf(locked);
    // Locking again with the same lease is the same acquisition (etcd: "a no-op").
    const again = await unary('/v3lockpb.Lock/Lock', request);
    expect((one(again, 2) as Buffer).toString()).toBe((key as Buffer).toString());
    // UnlockRequest{key=1}
    const unlocked = await unary(
      '/v3lockpb.Lock/Unlock',
      encode([{ number: 1, bytes: key as Buffer }]),
    );
    expect(revisionOf(unlocked)).toBe(lockRevision + 1n);
  });

  it('fails as etcd 3.4.23 does: UNKNOWN with etcd text, for Lock and Unlock', async () => {
    const unknownLease = await failure(
      '/v3lockpb.Lock/Lock',
      encode([
        { number: 1, bytes: text('l') },
        { number: 2, varint: 12345n },
      ]),
    );
    expect([unknownLease.code, unknownLease.details]).toEqual([
      status.UNKNOWN,
      'etcdserver: requested lease not found',
    ]);
    const emptyKey = await failure('/v3lockpb.Lock/Unlock', encode([]));
    expect([emptyKey.code, emptyKey.details]).toEqual([
      status.UNKNOWN,
      'etcdserver: key is not provided',
    ]);
  });

  it('campaigns, proclaims and resigns with LeaderKey{name=1, key=2, rev=3, lease=4}', async () => {
    const lease = await grant(30);
    // CampaignRequest: name 1, lease 2, value 3.
    const won = await unary(
      '/v3electionpb.Election/Campaign',
      encode([
        { number: 1, bytes: text('wire-election') },
        { number: 2, varint: lease },
        { number: 3, bytes: text('first') },
      ]),
    );
    const leaderBytes = one(won, 2);
    expect(leaderBytes).toBeInstanceOf(Buffer);
    const leader = decode(leaderBytes as Buffer);
    expect((one(leader, 1) as Buffer).toString()).toBe('wire-election');
    expect((one(leader, 2) as Buffer).toString()).toBe(`wire-election/${lease.toString(16)}`);
    expect(one(leader, 4)).toBe(lease);
    // etcd's Campaign answers with its create txn's header, whose revision is the key's rev.
    expect(one(leader, 3)).toBe(revisionOf(won));

    // ProclaimRequest: leader 1, value 2.
    await unary(
      '/v3electionpb.Election/Proclaim',
      encode([
        { number: 1, bytes: leaderBytes as Buffer },
        { number: 2, bytes: text('second') },
      ]),
    );
    // LeaderRequest{name=1} → LeaderResponse{header=1, kv=2}; mvccpb.KeyValue value is field 5.
    const current = await unary(
      '/v3electionpb.Election/Leader',
      encode([{ number: 1, bytes: text('wire-election') }]),
    );
    const kv = decode(one(current, 2) as Buffer);
    expect((one(kv, 5) as Buffer).toString()).toBe('second');

    // ResignRequest{leader=1}
    await unary(
      '/v3electionpb.Election/Resign',
      encode([{ number: 1, bytes: leaderBytes as Buffer }]),
    );
    const gone = await failure(
      '/v3electionpb.Election/Leader',
      encode([{ number: 1, bytes: text('wire-election') }]),
    );
    expect([gone.code, gone.details]).toEqual([status.UNKNOWN, 'election: no leader']);
    const stale = await failure(
      '/v3electionpb.Election/Proclaim',
      encode([
        { number: 1, bytes: leaderBytes as Buffer },
        { number: 2, bytes: text('late') },
      ]),
    );
    expect([stale.code, stale.details]).toEqual([status.UNKNOWN, 'election: not leader']);
  });

  it('refuses a Proclaim or Resign without a leader, and a Campaign on an unknown lease', async () => {
    for (const path of ['/v3electionpb.Election/Proclaim', '/v3electionpb.Election/Resign']) {
      const missing = await failure(path, encode([]));
      expect([missing.code, missing.details]).toEqual([
        status.UNKNOWN,
        '"leader" field must be provided',
      ]);
    }
    const unknownLease = await failure(
      '/v3electionpb.Election/Campaign',
      encode([
        { number: 1, bytes: text('e') },
        { number: 2, varint: 999n },
      ]),
    );
    expect([unknownLease.code, unknownLease.details]).toEqual([
      status.UNKNOWN,
      'etcdserver: requested lease not found',
    ]);
  });
});
