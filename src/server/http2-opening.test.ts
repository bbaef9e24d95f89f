import { type Socket, connect, createServer } from 'node:net';
import type { Duplex } from 'node:stream';
import hpack from 'hpack.js';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthorityRewrite } from './authority-rewrite.js';
import { openHttp2 } from './http2-opening.js';
import { HTTP2_PREFACE, http2Frame } from './testing/http2-frames.js';

const CLIENT_SETTINGS = http2Frame(0x4, 0, 0, Buffer.from([0, 3, 0, 0, 0, 100]));
const SETTINGS_ACK = http2Frame(0x4, 0x1, 0, Buffer.alloc(0));

function headers(authority: string, streamId = 1): Buffer {
  const encoder = hpack.compressor.create({ table: { size: 4096 } });
  encoder.write([
    { name: ':method', value: 'POST' },
    { name: ':path', value: '/etcdserverpb.KV/Range' },
    { name: ':authority', value: authority },
  ]);
  return http2Frame(0x1, 0x4, streamId, encoder.read() as Buffer);
}

interface Opened {
  readonly client: Socket;
  /** What the client received from the opening. */
  readonly received: Buffer[];
  readonly outcome: Promise<{ connection?: Duplex; failure?: string; server: Socket }>;
}

const sockets: Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
});

async function open(): Promise<Opened> {
  let settle: (value: { connection?: Duplex; failure?: string; server: Socket }) => void = () =>
    undefined;
  const outcome = new Promise<{ connection?: Duplex; failure?: string; server: Socket }>(
    (resolve) => (settle = resolve),
  );
  const listener = createServer((server) => {
    sockets.push(server);
    openHttp2(
      server,
      (connection) => settle({ connection, server }),
      (failure) => settle({ failure, server }),
    );
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const port = (listener.address() as { port: number }).port;
  const client = connect(port, '127.0.0.1');
  sockets.push(client);
  const received: Buffer[] = [];
  client.on('data', (chunk: Buffer) => received.push(chunk));
  await new Promise((resolve) => client.once('connect', resolve));
  listener.close();
  return { client, received, outcome };
}

async function readAll(stream: Duplex, bytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let length = 0;
  return new Promise((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      parts.push(chunk);
      length += chunk.length;
      if (length >= bytes) resolve(Buffer.concat(parts));
    });
    stream.resume();
  });
}

describe('opening a gRPC connection', () => {
  it('sends the server preface, answers pings, and hands the socket itself on', async () => {
    const { client, received, outcome } = await open();
    const ping = http2Frame(0x6, 0, 0, Buffer.from('12345678'));
    // A later request in the same read, even one naming a URL, is handed on untouched: the first
    // request decides for the connection.
    const request = Buffer.concat([headers('127.0.0.1:2379'), headers('http://later:1', 3)]);
    client.write(Buffer.concat([HTTP2_PREFACE, CLIENT_SETTINGS, ping, request]));
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.write(SETTINGS_ACK);
    const { connection, server } = await outcome;
    expect(connection).toBe(server); // no stream in between: native speed
    const handed = await readAll(
      connection as Duplex,
      HTTP2_PREFACE.length + 9 + 6 + request.length,
    );
    // The client's acknowledgement of our SETTINGS and its ping are not handed on.
    expect(handed.equals(Buffer.concat([HTTP2_PREFACE, CLIENT_SETTINGS, request]))).toBe(true);
    const replies = Buffer.concat(received);
    expect(replies.subarray(0, 9).equals(http2Frame(0x4, 0, 0, Buffer.alloc(0)))).toBe(true);
    expect(replies.subarray(9).equals(http2Frame(0x6, 0x1, 0, Buffer.from('12345678')))).toBe(true);
  });

  it('puts AuthorityRewrite in between when the first request names a URL', async () => {
    const { client, outcome } = await open();
    client.write(
      Buffer.concat([
        HTTP2_PREFACE,
        CLIENT_SETTINGS,
        SETTINGS_ACK,
        headers('http://127.0.0.1:2379'),
      ]),
    );
    const { connection } = await outcome;
    expect(connection).toBeInstanceOf(AuthorityRewrite);
  });

  it('drops a connection whose first header block cannot be decoded', async () => {
    const { client, outcome } = await open();
    client.write(
      Buffer.concat([
        HTTP2_PREFACE,
        CLIENT_SETTINGS,
        SETTINGS_ACK,
        http2Frame(0x1, 0x4, 1, Buffer.from([0xff, 0xff, 0x7f])),
      ]),
    );
    const { failure } = await outcome;
    expect(failure).toContain('malformed HTTP/2 opening');
  });

  it('drops a connection that sends a frame larger than HTTP/2 allows before its settings', async () => {
    const { client, outcome } = await open();
    const header = Buffer.from([0x01, 0x00, 0x00, 0x0, 0x0, 0, 0, 0, 1]); // 65,536 bytes declared
    client.write(Buffer.concat([HTTP2_PREFACE, header]));
    const { failure } = await outcome;
    expect(failure).toContain('a 65536-byte frame, over the 16384 allowed');
  });
});
