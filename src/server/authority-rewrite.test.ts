import { Duplex } from 'node:stream';
import hpack from 'hpack.js';
import { describe, expect, it } from 'vitest';
import { AuthorityRewrite, authorityOf, needsRewrite } from './authority-rewrite.js';
import { HTTP2_PREFACE, http2Frame } from './testing/http2-frames.js';

const SETTINGS = http2Frame(0x4, 0, 0, Buffer.alloc(0));
const DATA = http2Frame(0x0, 0x1, 1, Buffer.from('hello'));

/** A client's encoder as grpc-go's: incremental indexing and Huffman, so later blocks refer back. */
function clientEncoder() {
  const encoder = hpack.compressor.create({ table: { size: 4096 } });
  return (headers: Record<string, string>): Buffer => {
    encoder.write(Object.entries(headers).map(([name, value]) => ({ name, value })));
    const parts: Buffer[] = [];
    for (let part = encoder.read(); part !== null; part = encoder.read()) parts.push(part);
    return Buffer.concat(parts);
  };
}

/** The server's view: frames out of the bytes, header blocks decoded in order. */
function serverSees(bytes: Buffer): { frames: number[]; headers: Record<string, string>[] } {
  expect(bytes.subarray(0, HTTP2_PREFACE.length).equals(HTTP2_PREFACE)).toBe(true);
  const decoder = hpack.decompressor.create({ table: { size: 4096 } });
  const frames: number[] = [];
  const headers: Record<string, string>[] = [];
  let block: Buffer[] = [];
  let offset = HTTP2_PREFACE.length;
  while (offset < bytes.length) {
    const length = bytes.readUIntBE(offset, 3);
    const type = bytes[offset + 3] as number;
    const flags = bytes[offset + 4] as number;
    const payload = bytes.subarray(offset + 9, offset + 9 + length);
    offset += 9 + length;
    frames.push(type);
    if (type !== 0x1 && type !== 0x9) continue;
    let fragment = payload;
    if (type === 0x1 && (flags & 0x8) !== 0)
      fragment = fragment.subarray(1, fragment.length - (payload[0] as number));
    if (type === 0x1 && (flags & 0x20) !== 0) fragment = fragment.subarray(5);
    block.push(fragment);
    if ((flags & 0x4) === 0) continue;
    decoder.write(Buffer.concat(block));
    decoder.execute();
    block = [];
    const decoded: Record<string, string> = {};
    for (let header = decoder.read(); header !== null; header = decoder.read())
      decoded[header.name] = header.value;
    headers.push(decoded);
  }
  return { frames, headers };
}

/** Feeds `chunks` through the rewrite as a client's socket would, and collects what it reads. */
async function through(chunks: readonly Buffer[]): Promise<Buffer> {
  const client = new Duplex({ read() {}, write: (_chunk, _encoding, done) => done() });
  const rewrite = new AuthorityRewrite(client as never);
  const out: Buffer[] = [];
  rewrite.on('data', (chunk: Buffer) => out.push(chunk));
  for (const chunk of chunks) {
    client.push(chunk);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return Buffer.concat(out);
}

const request = (authority: string, path: string) => ({
  ':method': 'POST',
  ':scheme': 'http',
  ':path': path,
  ':authority': authority,
  'content-type': 'application/grpc',
  te: 'trailers',
});

describe('the :authority repair for etcdctl', () => {
  it('cuts a URL to host:port and leaves anything else alone', () => {
    expect(authorityOf('http://127.0.0.1:2379')).toBe('127.0.0.1:2379');
    expect(authorityOf('https://[::1]:2379/')).toBe('[::1]:2379');
    expect(authorityOf('127.0.0.1:2379')).toBe('127.0.0.1:2379');
    expect(authorityOf('localhost')).toBe('localhost');
    expect(needsRewrite('http://a:1')).toBe(true);
    expect(needsRewrite('a:1')).toBe(false);
  });

  it('re-encodes every header block of a connection that sent a URL, across the dynamic table', async () => {
    const encode = clientEncoder();
    const first = encode(request('http://127.0.0.1:2379', '/etcdserverpb.Maintenance/Status'));
    // The second block refers to the first's entries in the client's dynamic table.
    const second = encode(request('http://127.0.0.1:2379', '/etcdserverpb.KV/Range'));
    const third = encode({ ...request('http://127.0.0.1:2379', '/x'), 'x-big': 'v'.repeat(40) });
    const split = Math.floor(third.length / 2);
    const padded = Buffer.concat([Buffer.from([3]), first, Buffer.alloc(3)]);
    const prioritised = Buffer.concat([Buffer.alloc(5), second]);
    const bytes = Buffer.concat([
      HTTP2_PREFACE,
      SETTINGS,
      http2Frame(0x1, 0x4 | 0x8, 1, padded),
      DATA,
      http2Frame(0x1, 0x4 | 0x20 | 0x1, 3, prioritised),
      http2Frame(0x1, 0, 5, third.subarray(0, split)),
      http2Frame(0x9, 0x4, 5, third.subarray(split)),
    ]);
    // Byte by byte in places: frames split across reads must still be found.
    const chunks = [bytes.subarray(0, 30), bytes.subarray(30, 31), bytes.subarray(31)];
    const seen = serverSees(await through(chunks));
    expect(seen.frames).toEqual([0x4, 0x1, 0x0, 0x1, 0x1]);
    expect(seen.headers.map((headers) => headers[':authority'])).toEqual([
      '127.0.0.1:2379',
      '127.0.0.1:2379',
      '127.0.0.1:2379',
    ]);
    expect(seen.headers[1]?.[':path']).toBe('/etcdserverpb.KV/Range');
    expect(seen.headers[2]?.['x-big']).toBe('v'.repeat(40));
    expect(seen.headers[0]?.te).toBe('trailers');
  });

  it('keeps a well-formed authority, and repairs a URL in any later request', async () => {
    const encode = clientEncoder();
    const bytes = Buffer.concat([
      HTTP2_PREFACE,
      SETTINGS,
      http2Frame(0x1, 0x4, 1, encode(request('127.0.0.1:2379', '/etcdserverpb.KV/Put'))),
      DATA,
      http2Frame(0x1, 0x4, 3, encode(request('http://later.example:1', '/y'))),
    ]);
    const seen = serverSees(await through([bytes]));
    expect(seen.frames).toEqual([0x4, 0x1, 0x0, 0x1]);
    expect(seen.headers.map((headers) => headers[':authority'])).toEqual([
      '127.0.0.1:2379',
      'later.example:1',
    ]);
  });

  it('closes a connection whose header block cannot be decoded, without throwing', async () => {
    const client = new Duplex({ read() {}, write: (_chunk, _encoding, done) => done() });
    const rewrite = new AuthorityRewrite(client as never);
    const closed = new Promise<Error | undefined>((resolve) =>
      rewrite.on('error', resolve).on('close', () => resolve(undefined)),
    );
    rewrite.resume();
    // An indexed field pointing far past both tables.
    client.push(
      Buffer.concat([HTTP2_PREFACE, http2Frame(0x1, 0x4, 1, Buffer.from([0xff, 0xff, 0x7f]))]),
    );
    expect(String(await closed)).toContain('malformed HTTP/2 header block');
  });
});
